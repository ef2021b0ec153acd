/**
 * The bridge to the tslab Jupyter kernel. Display calls work only inside a running kernel;
 * elsewhere (tests, the CLI) {@link inKernel} is false and callers fall back to plain text.
 *
 * @module
 */

import { installSendQueue } from "./send-queue";

/** tslab's internal display hook (`tslab/dist/jupyter`, pinned tslab 1.0.22). */
interface JupyterModule {
  lastWriteDisplayData:
    | ((data: { data: Record<string, string>; metadata: Record<string, unknown>; transient: Record<string, string> }, update: boolean) => void)
    | null;
}

/**
 * tslab's jupyter module, but only when this process already loaded it (a running tslab kernel
 * has): requiring it anew would load the TypeScript compiler (~0.2–0.4 s of every CLI start) only
 * to find no kernel. A kernel that loaded another copy of tslab never reached our copy's hook
 * either, so the answer is the same.
 */
function jupyterModule(): JupyterModule | null {
  let resolved: string;
  try {
    resolved = require.resolve("tslab/dist/jupyter");
  } catch {
    return null; // tslab not installed: certainly not in a kernel
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require.cache[resolved] ? (require(resolved) as JupyterModule) : null;
}

let queueInstalled = false;

/** True when running inside a tslab kernel (display calls will reach the notebook). */
export function inKernel(): boolean {
  const yes = jupyterModule()?.lastWriteDisplayData != null;
  // Inside a kernel, make its message sends queue instead of crashing it (send-queue.ts).
  if (yes && !queueInstalled) queueInstalled = installSendQueue();
  return yes;
}

// The kit is imported by a notebook's first cell: fix the kernel's sockets right away, before
// any cell has had the chance to send 512 messages.
inKernel();

/** Options for {@link displayData}. */
export interface DisplayDataOptions {
  /** Display id: outputs sharing one id are replaced in place by later `update` calls. */
  displayId?: string;
  /** Replace the output with this `displayId` instead of adding a new one. Default false. */
  update?: boolean;
}

/**
 * Send one `display_data` message carrying several MIME types at once (e.g. `text/html` plus
 * `image/png`); the frontend shows the richest one it can. `tslab.display` sends one MIME type
 * per call, which is why we use its hook directly. Binary values must be base64 strings.
 * @returns false (and does nothing) outside a kernel.
 */
export function displayData(data: Record<string, string>, opts: DisplayDataOptions = {}): boolean {
  if (!inKernel()) return false;
  const hook = jupyterModule()!.lastWriteDisplayData!;
  hook({ data, metadata: {}, transient: opts.displayId ? { display_id: opts.displayId } : {} }, opts.update ?? false);
  return true;
}

let counter = 0;

/** A fresh display/element id, unique within this process. */
export function newDisplayId(prefix = "lco"): string {
  return `${prefix}-${process.pid}-${++counter}`;
}
