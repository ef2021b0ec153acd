import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { installSendQueue, MAX_STATE_RETRIES } from "../src/display/send-queue";

// zeromq 6's three synchronous refusals (messages and codes as in zeromq/src/socket.cc and libzmq).
const BUSY_WRITING = { message: "Socket is busy writing; only one send operation may be in progress at any time", code: "EBUSY" };
const BLOCKED = { message: "Socket is blocked by a bind or unbind operation", code: "EBUSY" };
const WRONG_STATE = { message: "Operation cannot be accomplished in current state", code: "EFSM" };
const refusal = (r: { message: string; code: string }) => Object.assign(new Error(r.message), { code: r.code });

/**
 * A socket that behaves like zeromq 6's: every third send is deferred to the next turn of the
 * event loop, and a send while that write is in flight throws EBUSY synchronously.
 */
class FakeSocket {
  sent: number[] = [];
  private busy = false;
  private n = 0;
  send(msg: number): Promise<void> {
    if (this.busy) throw refusal(BUSY_WRITING);
    if (++this.n % 3 === 0) {
      this.busy = true;
      return new Promise((resolve) =>
        setImmediate(() => {
          this.busy = false;
          this.sent.push(msg);
          resolve();
        }),
      );
    }
    this.sent.push(msg);
    return Promise.resolve();
  }
}
class Plain extends FakeSocket {}
class Queued extends FakeSocket {}

test("without the queue, a send during a deferred write throws EBUSY (the kernel crash)", () => {
  const s = new Plain();
  assert.throws(() => {
    for (let i = 0; i < 10; i++) void s.send(i);
  }, /busy/);
});

test("with the queue, sends never throw and arrive in order; installing twice is harmless", async () => {
  assert.equal(installSendQueue({ protos: [Queued.prototype] }), true);
  assert.equal(installSendQueue({ protos: [Queued.prototype] }), true);
  const s = new Queued();
  const done: Promise<void>[] = [];
  for (let i = 0; i < 50; i++) done.push(s.send(i));
  await Promise.all(done);
  assert.deepEqual(s.sent, Array.from({ length: 50 }, (_, i) => i));
  // Other sockets of other classes are untouched.
  assert.throws(() => {
    const p = new Plain();
    for (let i = 0; i < 10; i++) void p.send(i);
  }, /busy/);
});

/** A socket that refuses its first `refuse` sends and receives with one of zeromq's refusals, then works. */
function refusingClass(kind: { message: string; code: string }, refuse: number) {
  return class Refusing {
    sent: number[] = [];
    refusedSends = 0;
    refusedReceives = 0;
    inbox: number[] = [];
    send(msg: number): Promise<void> {
      if (this.refusedSends < refuse) {
        this.refusedSends++;
        throw refusal(kind);
      }
      this.sent.push(msg);
      return Promise.resolve();
    }
    receive(): Promise<number> {
      if (this.refusedReceives < refuse) {
        this.refusedReceives++;
        throw refusal(kind);
      }
      return Promise.resolve(this.inbox.shift()!);
    }
  };
}

for (const kind of [BUSY_WRITING, BLOCKED, WRONG_STATE]) {
  test(`"${kind.message}" on the first sends and receives: every message is delivered, in order`, async () => {
    const Refusing = refusingClass(kind, 7);
    const without = new Refusing();
    assert.throws(() => without.send(0), (e: Error & { code?: string }) => e.message === kind.message && e.code === kind.code);

    installSendQueue({ protos: [Refusing.prototype] });
    const s = new Refusing();
    // tslab's pattern: many un-awaited sends in one turn of the event loop (a kernel_info reply,
    // the busy/idle status, streams, display updates).
    const done: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) done.push(s.send(i));
    await Promise.all(done);
    assert.equal(s.refusedSends, 7);
    assert.deepEqual(s.sent, Array.from({ length: 40 }, (_, i) => i));
    // A receive loop survives the refusals instead of ending.
    s.inbox.push(41, 42);
    assert.equal(await s.receive(), 41);
    assert.equal(await s.receive(), 42);
    assert.equal(s.refusedReceives, 7);
  });
}

test("a lasting wrong-state refusal surfaces after a bounded number of retries; other errors at once", async () => {
  const Stuck = refusingClass(WRONG_STATE, Infinity);
  installSendQueue({ protos: [Stuck.prototype] });
  const s = new Stuck();
  await assert.rejects(s.send(1), /current state/);
  assert.equal(s.refusedSends, MAX_STATE_RETRIES + 1);
  await assert.rejects(s.receive(), /current state/);

  class Broken extends FakeSocket {
    override send(): Promise<void> {
      throw Object.assign(new Error("Socket is closed"), { code: "EBADF" });
    }
  }
  installSendQueue({ protos: [Broken.prototype] });
  assert.throws(() => new Broken().send(), /closed/);
});

test("a reply socket receives only after its previous reply went out", async () => {
  const log: string[] = [];
  class Rep {
    send(msg: string): Promise<void> {
      log.push(`send start ${msg}`);
      return new Promise((r) => setTimeout(() => (log.push(`sent ${msg}`), r()), 5));
    }
    receive(): Promise<string> {
      log.push("receive");
      return Promise.resolve("ping");
    }
  }
  installSendQueue({ protos: [Rep.prototype], replyProtos: [Rep.prototype] });
  const rep = new Rep();
  await rep.receive();
  void rep.send("pong"); // tslab's heartbeat: reply without awaiting, then receive again
  await rep.receive();
  assert.deepEqual(log, ["receive", "send start pong", "sent pong", "receive"]);
});

test("a reply does not overtake the outputs queued before it (the client would drop them)", async () => {
  const order: string[] = [];
  // iopub: every send after the first is refused once (a long queue of display updates).
  class Iopub {
    private refused = new Set<string>();
    send(msg: string): Promise<void> {
      if (order.length > 0 && !this.refused.has(msg)) {
        this.refused.add(msg);
        throw refusal(BUSY_WRITING);
      }
      order.push(msg);
      return Promise.resolve();
    }
  }
  class Shell {
    send(msg: string): Promise<void> {
      order.push(msg);
      return Promise.resolve();
    }
  }
  installSendQueue({ protos: [Iopub.prototype, Shell.prototype], outputProtos: [Iopub.prototype] });
  const iopub = new Iopub();
  const shell = new Shell();
  const done = [iopub.send("busy"), ...Array.from({ length: 5 }, (_, i) => iopub.send(`update ${i}`)), shell.send("execute_reply"), iopub.send("idle")];
  await Promise.all(done);
  assert.deepEqual(order, ["busy", "update 0", "update 1", "update 2", "update 3", "update 4", "execute_reply", "idle"]);
  // With nothing queued on iopub, a reply goes straight out (synchronously).
  shell.send("kernel_info_reply");
  assert.equal(order.at(-1), "kernel_info_reply");
});

// The real zeromq that tslab loads: a socket being bound refuses sends and receives ("blocked by a
// bind"), and more than 512 sends in one turn hit "busy writing". With the queue installed on the
// socket classes, everything arrives, in order.
test("real zeromq: sends and receives during a bind and past 512 sends in one turn all arrive, in order", async () => {
  const tslabDir = path.dirname(require.resolve("tslab/package.json"));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const zmq = require(require.resolve("zeromq", { paths: [tslabDir] }));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lco-zmq-"));
  const endpoint = (name: string) => `ipc://${path.join(dir, name)}`;

  // The control: an unpatched class refuses a send while its bind is in flight.
  const pair = new zmq.Pair();
  const pairBound = pair.bind(endpoint("pair"));
  assert.throws(() => pair.send("x"), (e: Error & { code?: string }) => e.message === BLOCKED.message && e.code === "EBUSY");
  await pairBound;
  pair.close();

  installSendQueue({ protos: [zmq.Push.prototype, zmq.Pull.prototype] });
  const pull = new zmq.Pull();
  const push = new zmq.Push();
  try {
    const n = 1500;
    const bound = pull.bind(endpoint("pull")); // not awaited, like tslab's start-up
    const got: string[] = [];
    const reading = (async () => {
      // Starts while the bind is in flight: the first receive is refused and retried.
      for await (const [m] of pull) {
        got.push(String(m));
        if (got.length === n) break;
      }
    })();
    const pushBound = push.bind(endpoint("push-side")); // push is blocked by its own bind too
    const sends: Promise<void>[] = [];
    for (let i = 0; i < n; i++) sends.push(push.send(String(i))); // one turn, never awaited
    await pushBound;
    await bound;
    push.connect(endpoint("pull"));
    await Promise.all(sends);
    await reading;
    assert.deepEqual(got, Array.from({ length: n }, (_, i) => String(i)));
  } finally {
    push.close();
    pull.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
