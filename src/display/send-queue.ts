/**
 * A fix for a crash of the tslab kernel under long-running cells that display a lot.
 *
 * **The cause.** zeromq 6 (6.8.0 is the newest release; tslab 1.0.22 is the newest tslab and
 * accepts any zeromq 6) sends a message synchronously only 512 times in a row per socket
 * (`max_sync_operations` in `zeromq/src/socket.cc`), so that a busy sender cannot starve the
 * event loop. The 513th send is deferred to the next turn of the event loop, and until that
 * turn the socket counts as "busy writing": any other `send` on it throws
 * `Socket is busy writing; only one send operation may be in progress at any time` (EBUSY)
 * *synchronously*. The counter is reset only by such a deferred write. tslab never awaits a
 * send: it publishes every output, every `update_display_data` and the kernel's busy/idle
 * status on the one iopub socket. So after about 512 messages, two messages in the same
 * turn of the event loop (a progress update followed by the cell's end and its `idle` status,
 * or two updates of a training loop that never yields to the event loop) throw. When the throw
 * comes from `publishStatus`, inside an un-awaited async function, Node treats it as an
 * unhandled rejection and the kernel process dies ("Kernel Restarting"); when it comes from an
 * output it silently loses that output (often the cell's error text).
 *
 * **The fix.** Wrap zeromq's `Socket.prototype.send` (the one tslab's sockets use) so that a
 * send which finds the socket busy is queued, in order, and sent once the write in flight has
 * finished and the event loop has had a turn; sends made while the queue is non-empty join
 * the queue, so messages never overtake one another. Nothing changes for the 511 of 512 sends
 * that go straight out. Installed once per kernel process, the first time the kit is imported
 * in a notebook (see `kernel.ts`). The progress bar also throttles its in-place updates
 * (`progress.ts`), which keeps the message count low in the first place.
 *
 * @module
 */
import * as path from "node:path";

type SendFn = (this: object, msg: unknown) => Promise<void>;

interface Waiting {
  msg: unknown;
  resolve: () => void;
  reject: (e: unknown) => void;
}

interface SocketQueue {
  /** The promise of the last message handed to zeromq (the write possibly in flight). */
  last: Promise<unknown> | null;
  /** Messages waiting for the socket, oldest first. */
  waiting: Waiting[];
  draining: boolean;
}

const MARK = "__lcoSendQueue";

function isBusy(e: unknown): boolean {
  return (e as { code?: unknown })?.code === "EBUSY";
}

/** The socket classes of the zeromq module tslab loads (resolved from tslab's folder, so it is the same instance). */
function tslabSocketPrototypes(): object[] | null {
  try {
    const tslabDir = path.dirname(require.resolve("tslab/package.json"));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const zmq = require(require.resolve("zeromq", { paths: [tslabDir] })) as Record<string, { prototype: object } | undefined>;
    // tslab's sockets: iopub is a Publisher, shell/control/stdin are Routers, heartbeat a Reply.
    const protos = ["Publisher", "Router", "Reply"].map((k) => zmq[k]?.prototype);
    return protos.every((p) => p) ? (protos as object[]) : null;
  } catch {
    return null;
  }
}

/**
 * Make zeromq sends queue instead of throwing EBUSY (see the module comment). Idempotent.
 * @param protos the socket-class prototypes to fix; default: the Publisher, Router and Reply
 *   classes of the zeromq that tslab loads. Their `send` is inherited from the native `Socket`
 *   class, whose own property is read-only, so the wrapper is defined on each subclass
 *   prototype, shadowing it. Tests pass a fake.
 * @returns true when the wrapper is in place (now or from an earlier call).
 */
export function installSendQueue(protos?: object[]): boolean {
  const targets = protos ?? tslabSocketPrototypes();
  if (!targets) return false;
  return targets.every(wrapSend);
}

function wrapSend(proto: object): boolean {
  const original = (proto as { send?: SendFn & { [MARK]?: true } }).send;
  if (typeof original !== "function") return false;
  if (original[MARK]) return true;

  const queues = new WeakMap<object, SocketQueue>();
  const queueOf = (sock: object): SocketQueue => {
    let q = queues.get(sock);
    if (!q) queues.set(sock, (q = { last: null, waiting: [], draining: false }));
    return q;
  };

  async function drain(sock: object, q: SocketQueue): Promise<void> {
    q.draining = true;
    try {
      while (q.waiting.length) {
        // Let the write in flight finish, then give the event loop a turn (zeromq's deferred
        // write runs there).
        if (q.last) await q.last.catch(() => undefined);
        await new Promise<void>((r) => setImmediate(r));
        const w = q.waiting[0];
        try {
          const p = original!.call(sock, w.msg);
          q.last = p;
          q.waiting.shift();
          p.then(w.resolve, w.reject);
        } catch (e) {
          if (isBusy(e)) continue; // still busy: wait another turn
          q.waiting.shift();
          w.reject(e);
        }
      }
    } finally {
      q.draining = false;
    }
  }

  const wrapped = function (this: object, msg: unknown): Promise<void> {
    const q = queueOf(this);
    if (q.waiting.length === 0) {
      try {
        const p = original.call(this, msg);
        q.last = p;
        return p;
      } catch (e) {
        if (!isBusy(e)) throw e;
      }
    }
    return new Promise<void>((resolve, reject) => {
      q.waiting.push({ msg, resolve, reject });
      if (!q.draining) void drain(this, q);
    });
  } as SendFn & { [MARK]?: true };
  wrapped[MARK] = true;
  Object.defineProperty(proto, "send", { value: wrapped, writable: true, configurable: true, enumerable: false });
  return true;
}
