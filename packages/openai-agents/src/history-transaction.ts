/**
 * The SDK's history transactions (`append_items`, `replace_suffix`) as pure functions over a
 * task's items, plus the bounded record of applied operation ids that makes them idempotent.
 * The session writes the result and the record in one compare-and-set.
 */
import { createHash } from 'node:crypto';
import type { AgentInputItem } from '@openai/agents-core';
import type { JsonValue, TaskItem } from '@taskvault/core';
import { idProblem, taskStoreError } from '@taskvault/core/adapter';
import { canonicalJson, copyItem } from './items.js';

/**
 * The argument of `applyHistoryTransaction`, as `@openai/agents-core` 0.14.3 and later define it
 * (spelled out here so these types compile against every SDK version in the peer range).
 */
export interface HistoryTransactionArgs {
  /** Stays the same when the transaction is retried; applied at most once per session. */
  operationId: string;
  transaction:
    | { type: 'append_items'; items: AgentInputItem[] }
    | { type: 'replace_suffix'; expectedSuffix: AgentInputItem[]; replacement: AgentInputItem[] };
}

/** A checked transaction: JSON copies of its items and a digest of the whole. */
export interface CheckedTransaction {
  operationId: string;
  type: 'append_items' | 'replace_suffix';
  /** `append_items`: nothing; `replace_suffix`: the canonical JSON of each expected item. */
  expectedSuffix: string[];
  /** The items that end the history afterwards (appended, or replacing the suffix). */
  items: AgentInputItem[];
  /** Identifies the transaction's content, to tell a retry from a reuse of the id. */
  digest: string;
}

/** One applied operation, kept in the task's `data` under {@link OPERATIONS_KEY}. */
export type AppliedOperation = {
  id: string;
  digest: string;
};

/** The `data` key of the applied-operations record. */
export const OPERATIONS_KEY = 'appliedOperations';

const op = 'update' as const;

function invalid(path: string, detail: string): Error {
  return taskStoreError(op, 'INVALID_INPUT', { path, detail });
}

/**
 * Checks the arguments before anything is read or written: a non-empty `operationId` that is a
 * valid id, a known `type` with exactly its fields, and items that are plain JSON.
 *
 * @throws TaskUpdateError `INVALID_INPUT` naming the offending path.
 */
export function checkTransaction(args: HistoryTransactionArgs): CheckedTransaction {
  if (typeof args !== 'object' || args === null) throw invalid('args', 'must be an object');
  const { operationId, transaction } = args;
  const problem =
    typeof operationId === 'string' && operationId.trim() === ''
      ? 'must not be blank'
      : idProblem(operationId);
  if (problem !== null) throw invalid('operationId', problem);
  if (typeof transaction !== 'object' || transaction === null)
    throw invalid('transaction', 'must be an object');
  const fields = Object.keys(transaction).sort().join(',');
  if (transaction.type === 'append_items' && fields === 'items,type') {
    const items = copyItems(transaction.items, 'transaction.items');
    return {
      operationId,
      type: transaction.type,
      expectedSuffix: [],
      items,
      digest: digestOf([transaction.type, items]),
    };
  }
  if (transaction.type === 'replace_suffix' && fields === 'expectedSuffix,replacement,type') {
    const expected = copyItems(transaction.expectedSuffix, 'transaction.expectedSuffix');
    const items = copyItems(transaction.replacement, 'transaction.replacement');
    return {
      operationId,
      type: transaction.type,
      expectedSuffix: expected.map((item) => canonicalJson(item as unknown as JsonValue)),
      items,
      digest: digestOf([transaction.type, expected, items]),
    };
  }
  throw invalid(
    'transaction',
    `must be { type: 'append_items', items } or { type: 'replace_suffix', expectedSuffix, replacement }`,
  );
}

function copyItems(items: unknown, path: string): AgentInputItem[] {
  if (!Array.isArray(items)) throw invalid(path, 'must be an array of items');
  return items.map((item, i) => copyItem(item, `${path}[${i}]`, op) as unknown as AgentInputItem);
}

function digestOf(value: unknown): string {
  return createHash('sha256')
    .update(canonicalJson(value as JsonValue))
    .digest('base64url');
}

/** The applied-operations record in a task's `data` (empty when absent or not of this shape). */
export function appliedOperations(data: { [key: string]: JsonValue } | undefined): AppliedOperation[] {
  const record = data?.[OPERATIONS_KEY];
  if (!Array.isArray(record)) return [];
  return record.filter(
    (entry): entry is { id: string; digest: string } =>
      typeof entry === 'object' &&
      entry !== null &&
      !Array.isArray(entry) &&
      typeof entry.id === 'string' &&
      typeof entry.digest === 'string',
  );
}

/**
 * Whether `tx` was applied already: `true` for a retry of it, `false` for a new id.
 *
 * @throws TaskUpdateError `INVALID_INPUT` (path `operationId`) when the id was applied with
 * another transaction.
 */
export function alreadyApplied(record: readonly AppliedOperation[], tx: CheckedTransaction): boolean {
  const seen = record.find((entry) => entry.id === tx.operationId);
  if (seen === undefined) return false;
  if (seen.digest === tx.digest) return true;
  throw invalid('operationId', 'was already applied to this session with a different transaction');
}

/** The record with `tx` added, keeping only the newest `keep` entries. */
export function withOperation(
  record: readonly AppliedOperation[],
  tx: CheckedTransaction,
  keep: number,
): AppliedOperation[] {
  return [...record, { id: tx.operationId, digest: tx.digest }].slice(-keep);
}

/**
 * Where a `replace_suffix` cuts the stored history: the index of the first expected item.
 *
 * @throws TaskUpdateError `INVALID_INPUT` (path `transaction.expectedSuffix`) when the history
 * no longer ends with the expected items; nothing is written then.
 */
export function suffixStart(current: readonly TaskItem[], tx: CheckedTransaction): number {
  const start = current.length - tx.expectedSuffix.length;
  const matches =
    start >= 0 &&
    tx.expectedSuffix.every((expected, i) => canonicalJson(current[start + i]!.content) === expected);
  if (!matches) {
    throw invalid(
      'transaction.expectedSuffix',
      `the session's history no longer ends with these ${tx.expectedSuffix.length} items`,
    );
  }
  return start;
}
