/**
 * What a worker reads before a step and writes after it: the step's inputs, taken from the
 * task's committed items, and the one patch that commits its result.
 */
import type { TaskPatch } from '@taskvault/core';
import { type DemoTask, demoItem, itemContent, type PlanStep } from './model.js';
import type { StepContext, StepOutcome, StepResult } from './steps.js';

/** What a step may depend on: the committed results of earlier steps and the approval. */
export function stepContext(task: DemoTask, index: number): StepContext {
  const results: Array<StepResult | undefined> = [];
  for (const item of task.items) {
    const c = itemContent(item);
    if (c?.type === 'step') results[c.step] = { ok: c.ok, text: c.text, output: c.output };
  }
  return { taskId: task.taskId, index, results, approval: task.data.approval };
}

/**
 * The one patch that commits step `index`: its result item, the next step index and the commit
 * token, plus the status change a result implies (completed, failed, paused for approval).
 */
export function commitChanges(
  task: DemoTask,
  index: number,
  step: PlanStep | undefined,
  outcome: StepOutcome,
  workerId: string,
  commitToken: string,
): TaskPatch {
  const requestId = task.data.requestId;
  if (outcome.type === 'needs-approval') {
    return {
      status: 'paused',
      data: {
        owner: null,
        heartbeatAt: null,
        lastCommit: commitToken,
        approval: { step: index, tool: outcome.tool, state: 'waiting', decidedBy: null },
      },
      appendItems: [
        demoItem(requestId, {
          type: 'approval-requested',
          step: index,
          tool: outcome.tool,
          args: outcome.args,
          text: outcome.text,
        }),
      ],
    };
  }
  const { result } = outcome;
  const item = demoItem(requestId, {
    type: 'step',
    step: index,
    kind: step?.kind ?? 'answer',
    ok: result.ok,
    text: result.text,
    output: result.output,
    worker: workerId,
  });
  const last = index + 1 >= task.data.plan.length;
  if (!result.ok) {
    return {
      status: 'failed',
      data: {
        nextStep: index + 1,
        owner: null,
        heartbeatAt: null,
        lastCommit: commitToken,
        error: result.text,
      },
      appendItems: [item],
    };
  }
  if (last) {
    return {
      status: 'completed',
      data: {
        nextStep: index + 1,
        owner: null,
        heartbeatAt: null,
        lastCommit: commitToken,
        answer: step?.kind === 'answer' ? result.text : task.data.answer,
      },
      appendItems: [item],
    };
  }
  return {
    data: { nextStep: index + 1, heartbeatAt: Date.now(), lastCommit: commitToken },
    appendItems: [item],
  };
}
