/**
 * A fix for crashes of the tslab kernel: at start-up on a loaded machine, and under long-running
 * cells that display a lot.
 *
 * **The causes.** tslab 1.0.22 (the newest tslab) never awaits a zeromq send, and zeromq 6
 * (6.8.0, the newest release) refuses, *synchronously*, a send or receive it cannot start now:
 * - `Socket is busy writing; only one send operation may be in progress at any time` (EBUSY).
 *   zeromq sends synchronously only 512 times in a row per socket (`max_sync_operations` in
 *   `zeromq/src/socket.cc`), so that a busy sender cannot starve the event loop. The 513th send
 *   is deferred to the next turn of the event loop, and until that turn any other send on the
 *   socket throws. tslab publishes every output, every `update_display_data` and the kernel's
 *   busy/idle status on the one iopub socket, so after about 512 messages two messages in the
 *   same turn (a progress update followed by the cell's end and its `idle` status, or two
 *   updates of a training loop that never yields) throw.
 * - `Socket is blocked by a bind or unbind operation` (also EBUSY). tslab starts its receive
 *   loops and then binds its five sockets; a bind runs on a worker thread and the socket counts
 *   as blocked until its completion reaches the main thread. On a loaded machine the client's
 *   `kernel_info_request` can arrive first: the reply, the busy/idle status on iopub (still
 *   binding) and the shell loop's next receive all throw, the shell loop ends, and the kernel
 *   never answers ("Kernel didn't respond in 60 seconds").
 * - `Operation cannot be accomplished in current state` (EFSM): a request–reply socket (tslab's
 *   heartbeat) must alternate receive and send; a receive made while its reply is still queued
 *   or deferred is out of turn.
 * The throw happens inside an un-awaited async function, so it is an unhandled rejection, and
 * the wasm backend's Emscripten module (loaded by the kit) rethrows unhandled rejections: the
 * kernel process dies ("Kernel Restarting"). Where it does not die, the output is silently lost.
 *
 * **The fix.** Wrap zeromq's `send` and `receive` on the socket classes tslab uses, so that
 * - a send that finds its socket busy or blocked is queued, in order, and sent once the write in
 *   flight has finished and the event loop has had a turn; sends made while the queue is
 *   non-empty join it, so messages never overtake one another (every path goes through it:
 *   kernel_info and execute replies on shell, status, streams and display updates on iopub,
 *   heartbeat replies);
 * - a receive refused because the socket is busy or blocked is retried after a turn instead of
 *   ending tslab's receive loop;
 * - a request–reply socket receives only after its previous reply has gone out;
 * - a reply on the shell (or control) socket goes out only after the outputs queued on iopub
 *   before it: the client takes the reply as the end of the cell and waits only a few seconds
 *   more for outputs, so a reply that overtook a long queue of display updates lost the rest of
 *   them (the display froze part-way and the next cell's outputs went missing).
 * An EFSM refusal is retried a bounded number of times ({@link MAX_STATE_RETRIES}), then
 * surfaces: unlike "busy", it could be permanent. Nothing changes for the sends that go straight
 * out. Installed before tslab creates a socket by the project's kernel launcher
 * (`bin/lco-kernel.js`, registered in `.jupyter/` as the tslab kernel), and again, harmlessly,
 * when the kit is imported in a kernel started some other way (see `kernel.ts`). The progress
 * bar also throttles its in-place updates (`progress.ts`), which keeps the message count low in
 * the first place.
 *
 * @module
 */
import * as path from "node:path";

type SendFn = (this: object, msg: unknown) => Promise<void>;
type ReceiveFn = (this: object) => Promise<unknown>;

interface Waiting {
  msg: unknown;
  /** Settles once the output messages queued before this one went out (a reply waits for it). */
  after: Promise<void> | null;
  resolve: () => void;
  reject: (e: unknown) => void;
}

interface SocketQueue {
  /** The promise of the last message handed to zeromq (the write possibly in flight). */
  last: Promise<unknown> | null;
  /** Settles once every send made so far has gone out (or failed): what a reply socket's next receive waits for. */
  sent: Promise<void>;
  /** Messages waiting for the socket, oldest first. */
  waiting: Waiting[];
  draining: boolean;
}

const MARK = "__lcoSendQueue";

/** How often an EFSM ("cannot be accomplished in current state") refusal is retried (about 1.7 s in all, see `pause`) before it surfaces. */
export const MAX_STATE_RETRIES = 40;

/** zeromq's "busy writing/reading" and "blocked by a bind or unbind operation": always transient. */
function isBusy(e: unknown): boolean {
  return (e as { code?: unknown })?.code === "EBUSY";
}

/** zeromq's "Operation cannot be accomplished in current state": transient while a receive or send of the pair is pending. */
function isWrongState(e: unknown): boolean {
  return (e as { code?: unknown })?.code === "EFSM";
}

/**
 * Wait before the next attempt: a turn of the event loop (where zeromq's deferred write and a
 * bind's completion run) for the first attempts, then short timers, so that waiting out a slow
 * bind on a loaded machine does not spin a core.
 */
function pause(attempt: number): Promise<void> {
  return new Promise<void>((r) => (attempt < 3 ? setImmediate(r) : setTimeout(r, Math.min(50, 2 ** (attempt - 3)))));
}

// One queue per socket, shared by its send and receive wrappers.
const queues = new WeakMap<object, SocketQueue>();
function queueOf(sock: object): SocketQueue {
  let q = queues.get(sock);
  if (!q) queues.set(sock, (q = { last: null, sent: Promise.resolve(), waiting: [], draining: false }));
  return q;
}

/** The zeromq module tslab loads (resolved from tslab's folder, so it is the same instance), or null. */
function tslabZeromq(): Record<string, { prototype: object } | undefined> | null {
  try {
    const tslabDir = path.dirname(require.resolve("tslab/package.json"));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(require.resolve("zeromq", { paths: [tslabDir] })) as Record<string, { prototype: object } | undefined>;
  } catch {
    return null;
  }
}

/** The socket classes of tslab's sockets: to fix, and which of them alternate receive and send. */
export interface SocketClasses {
  /** Prototypes whose `send` (and `receive`, where they have one) get the queue. */
  protos: object[];
  /** Prototypes of request–reply sockets, whose receive waits for the previous reply. Default none. */
  replyProtos?: object[];
  /**
   * Prototypes of output sockets (tslab's iopub Publisher). A send on any *other* socket that is
   * not a request–reply one (the shell's execute_reply, say) goes out only after the output
   * messages queued before it: the client treats the reply as "the cell is done" and waits only a
   * few seconds more for its outputs (nbclient's `iopub_timeout`, 4 s), so a reply overtaking a
   * long queue of display updates lost the rest of them. Default none.
   */
  outputProtos?: object[];
}

function tslabSocketClasses(): SocketClasses | null {
  const zmq = tslabZeromq();
  if (!zmq) return null;
  // tslab's sockets: iopub is a Publisher, shell/control/stdin are Routers, heartbeat a Reply.
  const protos = ["Publisher", "Router", "Reply"].map((k) => zmq[k]?.prototype);
  if (!protos.every((p) => p)) return null;
  return { protos: protos as object[], replyProtos: [zmq.Reply!.prototype], outputProtos: [zmq.Publisher!.prototype] };
}

/**
 * Make zeromq sends queue and receives retry instead of throwing (see the module comment).
 * Idempotent.
 * @param classes the socket classes to fix; default: the Publisher, Router and Reply classes of
 *   the zeromq that tslab loads (Reply alternating). Their `send`/`receive` are inherited from
 *   the native `Socket` class, whose own properties are read-only, so the wrappers are defined on
 *   each subclass prototype, shadowing them. Tests pass fakes.
 * @returns true when the wrappers are in place (now or from an earlier call).
 */
export function installSendQueue(classes?: SocketClasses): boolean {
  const c = classes ?? tslabSocketClasses();
  if (!c) return false;
  return c.protos.every((p) => {
    const role = (c.outputProtos ?? []).includes(p) ? "output" : (c.replyProtos ?? []).includes(p) ? "alternating" : "reply";
    const okSend = wrapSend(p, role);
    wrapReceive(p, (c.replyProtos ?? []).includes(p));
    return okSend;
  });
}

/** Define `fn` as `proto[name]`, marked as ours; false when there is nothing to wrap. */
function wrapMethod<F extends (...a: never[]) => unknown>(proto: object, name: string, make: (original: F) => F): boolean {
  const original = (proto as Record<string, unknown>)[name] as (F & { [MARK]?: true }) | undefined;
  if (typeof original !== "function") return false;
  if (original[MARK]) return true;
  const wrapped = make(original) as F & { [MARK]?: true };
  wrapped[MARK] = true;
  Object.defineProperty(proto, name, { value: wrapped, writable: true, configurable: true, enumerable: false });
  return true;
}

// The queues of the output sockets (in practice tslab's one iopub socket).
const outputQueues = new Set<SocketQueue>();

/** Settles once every output message queued so far went out; null when none is waiting. */
function outputsPending(): Promise<void> | null {
  const pending = [...outputQueues].filter((q) => q.waiting.length > 0).map((q) => q.sent);
  return pending.length ? Promise.all(pending).then(() => undefined) : null;
}

/**
 * @param role "output" (its queue is what replies wait for), "reply" (waits for the queued
 *   outputs before going out) or "alternating" (a request–reply socket: waits for nothing).
 */
function wrapSend(proto: object, role: "output" | "reply" | "alternating"): boolean {
  return wrapMethod<SendFn>(proto, "send", (original) => {
    async function drain(sock: object, q: SocketQueue): Promise<void> {
      q.draining = true;
      try {
        let attempt = 0;
        while (q.waiting.length) {
          // Let the write in flight finish, then give the event loop a turn (zeromq's deferred
          // write and a bind's completion run there).
          if (q.last) await q.last.catch(() => undefined);
          await pause(attempt);
          const w = q.waiting[0];
          if (w.after) {
            await w.after;
            w.after = null;
          }
          try {
            const p = original.call(sock, w.msg);
            q.last = p;
            q.waiting.shift();
            attempt = 0;
            p.then(w.resolve, w.reject);
          } catch (e) {
            attempt++;
            if (isBusy(e) || (isWrongState(e) && attempt < MAX_STATE_RETRIES)) continue; // wait another turn
            q.waiting.shift();
            attempt = 0;
            w.reject(e);
          }
        }
      } finally {
        q.draining = false;
      }
    }

    return function (this: object, msg: unknown): Promise<void> {
      const q = queueOf(this);
      if (role === "output") outputQueues.add(q);
      const after = role === "reply" ? outputsPending() : null;
      let p: Promise<void> | null = null;
      if (q.waiting.length === 0 && !after) {
        try {
          p = original.call(this, msg);
          q.last = p;
        } catch (e) {
          if (!isBusy(e) && !isWrongState(e)) throw e;
        }
      }
      if (!p) {
        p = new Promise<void>((resolve, reject) => {
          q.waiting.push({ msg, after, resolve, reject });
          if (!q.draining) void drain(this, q);
        });
      }
      // Messages go out in order, so the newest send settling means all earlier ones have.
      q.sent = p.then(
        () => undefined,
        () => undefined,
      );
      return p;
    };
  });
}

function wrapReceive(proto: object, alternates: boolean): boolean {
  return wrapMethod<ReceiveFn>(proto, "receive", (original) => {
    /** Start a receive; a synchronous refusal worth retrying is returned, not thrown. */
    const start = (sock: object): Promise<unknown> | { refused: unknown } => {
      try {
        return original.call(sock);
      } catch (e) {
        if (isBusy(e) || isWrongState(e)) return { refused: e };
        throw e;
      }
    };
    const started = (r: Promise<unknown> | { refused: unknown }): r is Promise<unknown> => typeof (r as Promise<unknown>).then === "function";

    async function retry(sock: object, first: unknown): Promise<unknown> {
      let err = first;
      for (let attempt = 0; isBusy(err) || (isWrongState(err) && attempt < MAX_STATE_RETRIES); attempt++) {
        await pause(attempt);
        if (alternates) await queueOf(sock).sent;
        const r = start(sock);
        if (started(r)) return r;
        err = r.refused;
      }
      throw err;
    }

    return function (this: object): Promise<unknown> {
      const go = (): Promise<unknown> => {
        const r = start(this);
        return started(r) ? r : retry(this, r.refused);
      };
      // A reply socket receives only after its previous reply went out (see the module comment).
      return alternates ? queueOf(this).sent.then(go) : go();
    };
  });
}
