/** The demo agent's building blocks, for tests and for reading as a tutorial. */

export {
  AgentError,
  type AgentErrorCode,
  checkSubmission,
  DemoAgent,
  MAX_QUERY_LENGTH,
  type Submission,
} from './agent.js';
export { CalculationError, evaluate } from './calculator.js';
export { commitChanges, stepContext } from './commit.js';
export { type ErrorBody, type HttpError, toHttpError } from './http-errors.js';
export { type LeaseOptions, type LeaseWrite, TaskLease } from './lease.js';
export { createLogger, type LoggerOptions } from './logger.js';
export {
  type Approval,
  type DemoTask,
  type DemoTaskData,
  demoItem,
  describeStep,
  type ItemContent,
  isDemoTask,
  itemContent,
  type LookupTable,
  type PlanStep,
  stepCommitCounts,
  type ToolName,
} from './model.js';
export { openStore, PACKAGE_DIR } from './open-store.js';
export { MAX_PLAN_STEPS, planFor } from './planner.js';
export {
  LATE_REQUEST,
  runScenario,
  SCENARIO_REQUESTS,
  type ScenarioOptions,
  type ScenarioResult,
} from './scenario.js';
export { buildServer, findPageDir, type ServerOptions } from './server.js';
export {
  formatNumber,
  runStep,
  type StepContext,
  type StepOutcome,
  type StepResult,
  TABLES,
} from './steps.js';
export { type TaskView, toView } from './view.js';
export {
  describeError,
  Worker,
  type WorkerEvent,
  type WorkerLogger,
  type WorkerOptions,
  type WorkerStats,
} from './worker.js';
