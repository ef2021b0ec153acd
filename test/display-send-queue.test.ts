import { test } from "node:test";
import assert from "node:assert/strict";
import { installSendQueue } from "../src/display/send-queue";

/**
 * A socket that behaves like zeromq 6's: every third send is deferred to the next turn of the
 * event loop, and a send while that write is in flight throws EBUSY synchronously.
 */
class FakeSocket {
  sent: number[] = [];
  private busy = false;
  private n = 0;
  send(msg: number): Promise<void> {
    if (this.busy) throw Object.assign(new Error("Socket is busy writing"), { code: "EBUSY" });
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
  assert.equal(installSendQueue([Queued.prototype]), true);
  assert.equal(installSendQueue([Queued.prototype]), true);
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

test("non-EBUSY errors still surface", () => {
  class Broken extends FakeSocket {
    override send(): Promise<void> {
      throw Object.assign(new Error("Socket is closed"), { code: "EBADF" });
    }
  }
  installSendQueue([Broken.prototype]);
  assert.throws(() => new Broken().send(), /closed/);
});
