/**
 * The one process pool of the kit: independent jobs in `node` child processes, at most `workers`
 * at a time. The family's pretraining (`organism/family.ts`, a list: {@link runPool}) and
 * `lco sweep local` (`sweep/local.ts`, a dependency graph: {@link runGraph}) both run their jobs
 * through it, so a job runs the same way on a laptop as in a Slurm array task.
 *
 * Two kinds of child: {@link runChild} starts a fresh process for one job (the family's
 * pretraining, long jobs); {@link startWorkers} starts long-lived workers that run job after job
 * (`lco sweep local`, hundreds of jobs of seconds each). A fresh process pays for loading the kit,
 * the backend and the seeded world (several seconds) before any work; a long-lived worker pays it
 * once, and its in-process memos (the world, loaded modules) carry over to its next jobs. That is
 * only safe because a job's random draws come from its own seeds and it disposes its tensors
 * (`test/sweep-workers.test.ts` compares the results of both kinds byte for byte).
 *
 * @module
 */
import { type ChildProcess, fork, spawn } from "node:child_process";

/** One child process: a module run by `node` with the parent's loader flags (e.g. tsx's). */
export interface ChildJob {
  /** The module to run (`dist/…/worker.js`, or `src/…/worker.ts` under tsx). */
  entry: string;
  /** Arguments after the module. */
  args: string[];
  /** Extra environment (added to the parent's). */
  env?: Record<string, string>;
  /** Prefix of the child's output lines in `log` (e.g. `[S/seed 0]`). */
  tag: string;
}

/**
 * Run one child process to its end, relaying its stdout and stderr line by line to `log`.
 * @returns its exit code (1 when killed by a signal).
 */
export function runChild(job: ChildJob, log: (line: string) => void = () => {}): Promise<number> {
  const args = [...process.execArgv.filter((a) => !a.startsWith("--inspect")), job.entry, ...job.args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...job.env } });
    const relay = relayLines(log, () => job.tag);
    child.stdout.on("data", relay);
    child.stderr.on("data", relay);
    child.on("error", reject);
    child.on("close", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/**
 * Run `jobs` through `runOne`, at most `workers` at a time, in the given order (a job starts when
 * any earlier one finishes). Every job runs even when another fails.
 * @param onDone called when a job finishes, with its exit code and the number finished so far.
 * @returns the jobs whose exit code was not 0, in the order they finished.
 */
export async function runPool<J>(jobs: readonly J[], workers: number, runOne: (job: J) => Promise<number>, onDone?: (job: J, code: number, finished: number) => void): Promise<{ job: J; code: number }[]> {
  const failed: { job: J; code: number }[] = [];
  let next = 0, finished = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const code = await runOne(job);
      if (code !== 0) failed.push({ job, code });
      onDone?.(job, code, ++finished);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, jobs.length)) }, worker));
  return failed;
}

/** One job of {@link runGraph}: what it needs and how urgent it is. */
export interface GraphJob<J> {
  job: J;
  /** Positions (in the list given to `runGraph`) of the jobs that must succeed before this one starts. */
  needs: readonly number[];
  /** Higher starts first among the jobs that are ready (ties: the earlier position). */
  priority: number;
}

/** What {@link runGraph} did besides running jobs. */
export interface GraphOutcome<J> {
  /** Jobs whose exit code was not 0, in the order they finished. */
  failed: { job: J; code: number }[];
  /** Jobs never started because a job they need (directly or not) failed, in list order. */
  blocked: J[];
}

/**
 * Run a dependency graph of jobs through `runOne`, at most `workers` at a time: a job starts as
 * soon as every job it needs has succeeded and a worker is free, the ready job of highest
 * `priority` first. Unlike stage-by-stage running, no worker waits for the slowest job of a stage
 * that its next job does not need. A failed job blocks only what needs it (as Slurm's `afterok`);
 * everything else still runs.
 * @param onDone called when a job finishes, with its exit code and the number finished so far.
 * @throws Error when `needs` names a position outside the list or the graph has a cycle (before any job starts).
 */
export async function runGraph<J>(jobs: readonly GraphJob<J>[], workers: number, runOne: (job: J) => Promise<number>, onDone?: (job: J, code: number, finished: number) => void): Promise<GraphOutcome<J>> {
  const n = jobs.length;
  const waitingOn = jobs.map((j) => j.needs.length);
  const dependents: number[][] = jobs.map(() => []);
  jobs.forEach((j, i) =>
    j.needs.forEach((d) => {
      if (!(Number.isInteger(d) && d >= 0 && d < n && d !== i)) throw new Error(`runGraph: job ${i} needs position ${d}, which is not another job of the list (0..${n - 1})`);
      dependents[d].push(i);
    }),
  );
  // Kahn's order: every job must be reachable from the jobs that need nothing, or there is a cycle.
  {
    const left = [...waitingOn];
    const queue = left.flatMap((c, i) => (c === 0 ? [i] : []));
    for (let q = 0; q < queue.length; q++) for (const d of dependents[queue[q]]) if (--left[d] === 0) queue.push(d);
    if (queue.length < n) throw new Error(`runGraph: the jobs at positions ${left.flatMap((c, i) => (c > 0 ? [i] : [])).join(", ")} need each other (a cycle)`);
  }
  const blocked = new Array<boolean>(n).fill(false);
  const ready = waitingOn.flatMap((c, i) => (c === 0 ? [i] : []));
  const failed: GraphOutcome<J>["failed"] = [];
  let running = 0, finished = 0;
  const block = (i: number) => {
    for (const d of dependents[i]) {
      if (!blocked[d]) {
        blocked[d] = true;
        block(d);
      }
    }
  };
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (running < Math.max(1, workers) && ready.length > 0) {
        let best = 0;
        for (let k = 1; k < ready.length; k++) {
          const a = jobs[ready[k]].priority, b = jobs[ready[best]].priority;
          if (a > b || (a === b && ready[k] < ready[best])) best = k;
        }
        const i = ready.splice(best, 1)[0];
        running++;
        runOne(jobs[i].job).then((code) => done(i, code), reject);
      }
      if (running === 0) resolve();
    };
    const done = (i: number, code: number) => {
      running--;
      if (code === 0) {
        for (const d of dependents[i]) if (--waitingOn[d] === 0 && !blocked[d]) ready.push(d);
      } else {
        failed.push({ job: jobs[i].job, code });
        block(i);
      }
      try {
        onDone?.(jobs[i].job, code, ++finished);
      } catch (e) {
        reject(e);
        return;
      }
      pump();
    };
    pump();
  });
  return { failed, blocked: jobs.flatMap((j, i) => (blocked[i] ? [j.job] : [])) };
}

/** Relay a child's output chunk to `log`, line by line, each prefixed with `tag()`. */
function relayLines(log: (line: string) => void, tag: () => string): (buf: Buffer) => void {
  return (buf) => {
    for (const line of buf.toString().split(/[\r\n]+/)) if (line.trim()) log(`${tag()} ${line.trim()}`);
  };
}

/** Messages from a long-lived worker to the pool (over the IPC channel, in order). */
type FromWorker = { log: string } | { done: number; stats?: WorkerStats };

/** What a long-lived worker reports after each job (for checks that nothing accumulates). */
export interface WorkerStats {
  /** Live tensors after the job (`tf.memory().numTensors`), when the worker reports it. */
  tensors?: number;
  /** Resident memory of the worker process after the job, in MB. */
  rssMB: number;
}

/** Options of {@link startWorkers}. */
export interface WorkerPoolOptions {
  /** The module each worker runs (it calls {@link serveJobs}; `dist/…/worker.js`, or `src/…/worker.ts` under tsx). */
  entry: string;
  /** Worker processes at most (started when first needed). */
  workers: number;
  /** Extra environment of every worker (added to the parent's), fixed at its start (e.g. its thread counts). */
  env?: Record<string, string>;
  /** Receives the workers' output lines, each prefixed with the tag of the job it belongs to. Default: silent. */
  log?: (line: string) => void;
  /** Called after each job a worker finished (not when it died), with the job's tag and the worker's stats. */
  onStats?: (tag: string, stats: WorkerStats & { pid: number }) => void;
}

/** A pool of long-lived worker processes; see {@link startWorkers}. */
export interface WorkerPool {
  /**
   * Run one job on an idle worker (waiting for one if all are busy; starting one if fewer than
   * `workers` live). `job` is sent as is (JSON data) to the worker's handler.
   * @returns the job's exit code: the handler's, or 1 (at least) when the worker died during the job.
   */
  run(job: unknown, tag: string): Promise<number>;
  /** The live workers' process ids (busy or idle). */
  pids(): number[];
  /** Stop every worker and wait for it to exit (running jobs resolve as failed, waiting ones reject). Idempotent. */
  close(): Promise<void>;
}

interface Worker {
  child: ChildProcess;
  /** Tag of the job it runs, or null when idle. */
  tag: string | null;
  /** Settles the running job. */
  settle: ((code: number) => void) | null;
  exited: Promise<void>;
}

/**
 * Start a pool of at most `workers` long-lived `node` processes that run `options.entry` (with
 * the parent's loader flags, e.g. tsx's) and serve jobs one at a time over Node's IPC channel
 * (`child_process.fork`); the entry calls {@link serveJobs}. Workers start when first needed.
 *
 * A worker that dies during a job (crash, out of memory, a signal) fails that job and is
 * replaced by a fresh one for the next job; the other workers go on. Output lines the handler
 * logs travel over the IPC channel, so they arrive before the job's end and carry its tag; stray
 * output on the worker's stdout/stderr is relayed with the tag of the job it is running.
 * Call {@link WorkerPool.close} when done (in a `finally`): a worker waits for jobs until then.
 */
export function startWorkers(options: WorkerPoolOptions): WorkerPool {
  const log = options.log ?? (() => {});
  const live: Worker[] = [];
  /** Jobs waiting for a worker (all were busy). */
  const waiting: { resolve: (w: Worker) => void; reject: (e: Error) => void }[] = [];
  let closed = false;

  const spawnWorker = (): Worker => {
    const child = fork(options.entry, [], {
      execArgv: process.execArgv.filter((a) => !a.startsWith("--inspect")),
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    let exitedResolve = () => {};
    const w: Worker = { child, tag: null, settle: null, exited: new Promise<void>((r) => (exitedResolve = r)) };
    const relay = relayLines(log, () => w.tag ?? `[worker ${child.pid}]`);
    child.stdout!.on("data", relay);
    child.stderr!.on("data", relay);
    child.on("message", (m: FromWorker) => {
      if ("log" in m) log(`${w.tag ?? `[worker ${child.pid}]`} ${m.log}`);
      else if ("done" in m && w.settle) {
        if (m.stats) options.onStats?.(w.tag!, { ...m.stats, pid: child.pid! });
        const settle = w.settle;
        w.tag = null;
        w.settle = null;
        settle(m.done);
        release(w);
      }
    });
    // 'error': the process could not start or be killed; 'close' may follow or not, so both end the worker, once.
    let gone = false;
    const onGone = (code: number | null, signal: NodeJS.Signals | null, why?: Error) => {
      if (gone) return;
      gone = true;
      if (live.includes(w)) live.splice(live.indexOf(w), 1);
      if (w.settle) {
        log(`${w.tag} worker ${child.pid} ${why ? `failed: ${why.message}` : `died (${signal ?? `exit code ${code}`})`}; the job failed`);
        const settle = w.settle;
        w.settle = null;
        settle(code !== null && code !== 0 ? code : 1);
      }
      exitedResolve();
      // A job waiting for a worker gets a fresh one in place of this one.
      if (!closed && waiting.length > 0) waiting.shift()!.resolve(spawnWorker());
    };
    // After the output pipes close too, so that the last output of a crash (e.g. V8's out-of-memory report) is relayed with the
    // job's tag. (Not the child's 'close' event: it never comes after the pool has closed the IPC channel.)
    const drained = [child.stdout!, child.stderr!].map((s) => new Promise<void>((r) => (s.closed ? r() : s.once("close", () => r()))));
    child.on("exit", (code, signal) => void Promise.all(drained).then(() => onGone(code, signal)));
    child.on("error", (e) => {
      onGone(null, null, e);
      child.kill("SIGKILL");
    });
    live.push(w);
    return w;
  };

  const idle: Worker[] = [];
  const release = (w: Worker) => {
    if (closed || !live.includes(w)) return;
    const next = waiting.shift();
    if (next) next.resolve(w);
    else idle.push(w);
  };
  const acquire = (): Promise<Worker> => {
    while (idle.length > 0) {
      const w = idle.shift()!;
      if (live.includes(w)) return Promise.resolve(w);
    }
    if (live.length < Math.max(1, options.workers)) return Promise.resolve(spawnWorker());
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  };

  return {
    async run(job, tag) {
      if (closed) throw new Error("the worker pool is closed");
      const w = await acquire();
      return new Promise<number>((resolve) => {
        w.tag = tag;
        w.settle = resolve;
        w.child.send({ job }, (e) => {
          if (e && w.settle === resolve) {
            w.child.kill("SIGKILL"); // 'close' then fails the job; the next job gets a fresh worker
          }
        });
      });
    },
    pids: () => live.map((w) => w.child.pid!),
    async close() {
      closed = true;
      for (const w of waiting.splice(0)) w.reject(new Error("the worker pool was closed"));
      const all = [...live];
      for (const w of all) {
        // A worker exits when its IPC channel closes (see serveJobs); kill one that does not within 5 s.
        if (w.child.connected) w.child.disconnect();
        const timer = setTimeout(() => w.child.kill("SIGKILL"), 5000);
        timer.unref();
        void w.exited.then(() => clearTimeout(timer));
      }
      await Promise.all(all.map((w) => w.exited));
    },
  };
}

/**
 * The worker side of {@link startWorkers}: serve the jobs the pool sends, one at a time, with
 * `handle(job, log)`, which resolves to the job's exit code (0 done, 2 bad input, 1 anything else;
 * a throw counts as 1). Lines passed to `log` reach the pool's log tagged with the job.
 * `stats` (optional) adds to what is reported after each job (e.g. the live tensor count).
 * The process exits when the pool closes the channel (or the parent dies), explicitly: a threaded
 * wasm backend keeps its threads, and so the process, alive.
 */
export function serveJobs(handle: (job: unknown, log: (line: string) => void) => Promise<number>, stats?: () => Omit<WorkerStats, "rssMB">): void {
  if (!process.send) throw new Error("serveJobs: this process was not started by startWorkers (no IPC channel)");
  const send = (m: FromWorker) => {
    if (process.connected) process.send!(m);
  };
  const log = (line: string) => send({ log: line });
  process.on("disconnect", () => process.exit(0));
  process.on("message", (m: { job: unknown }) => {
    void handle(m.job, log)
      .catch((e: unknown) => {
        log(e instanceof Error ? (e.stack ?? e.message) : String(e));
        return 1;
      })
      .then((code) => send({ done: code, stats: { ...stats?.(), rssMB: Math.round(process.memoryUsage().rss / 2 ** 20) } }));
  });
}
