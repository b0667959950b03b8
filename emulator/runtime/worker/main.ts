/**
 * A worker thread's entry point (bundled by ../workerSource.ts): holds the app, runs the
 * executions the main thread sends, relays their console lines and data calls, and says it is
 * alive every HEARTBEAT_MS, so the main thread can tell a worker stuck in a loop from a waiting one.
 */
import { parentPort } from "node:worker_threads";
import vm from "node:vm";
import { RUNTIME_ERRORS } from "../errors";
import { HEARTBEAT_MS, type FromWorker, type RunRequest, type ToWorker, type WorkerApp } from "../protocol";
import { decodeArguments, decodeResult } from "../values";
import { Execution, type WorkerAppState } from "./execution";

const port = parentPort;
if (!port) throw new Error("emulator/runtime/worker/main.ts runs only as a worker thread");

let app: WorkerAppState | undefined;
const executions = new Map<number, Execution>();
const pendingData = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
let nextRequest = 1;

function post(message: FromWorker): void {
  port!.postMessage(message);
}

setInterval(function heartbeat() {
  post({ kind: "beat" });
}, HEARTBEAT_MS);

port.on("message", function onMessage(message: ToWorker) {
  switch (message.kind) {
    case "app":
      app = loadApp(message.app);
      return;
    case "run":
      run(message);
      return;
    case "reply":
      settleData(message);
      return;
    case "abort":
      executions.get(message.exec)?.abort();
      executions.delete(message.exec);
      post({ kind: "aborted", exec: message.exec });
      return;
  }
});

function loadApp(received: WorkerApp): WorkerAppState {
  return { ...received, functions: new Map(received.functions), scripts: new Map<string, vm.Script>() };
}

function run(request: RunRequest): void {
  const { exec } = request;
  if (!app || app.version !== request.version) {
    const message = `the worker holds app version ${app?.version ?? "none"}, not ${request.version}`;
    post({ kind: "done", exec, ok: false, error: { name: RUNTIME_ERRORS.execution, message }, ops: 0 });
    return;
  }
  const execution = new Execution(app, request.name, request.user, request.deadline, request.timeoutMs, {
    console: (level, text) => post({ kind: "console", exec, level, text }),
    data: (call, ops) =>
      new Promise((resolve, reject) => {
        const id = nextRequest++;
        pendingData.set(id, { resolve, reject });
        post({ kind: "data", exec, request: id, ops, call });
      }),
    finish: (outcome) => {
      executions.delete(exec);
      post({ kind: "done", exec, ...outcome });
    },
  });
  executions.set(exec, execution);
  void execution.start(decodeArguments(request.args));
}

function settleData(reply: Extract<ToWorker, { kind: "reply" }>): void {
  const pending = pendingData.get(reply.request);
  if (!pending) return;
  pendingData.delete(reply.request);
  if (reply.ok) pending.resolve(decodeResult(reply.value));
  else pending.reject(new Error(reply.message));
}
