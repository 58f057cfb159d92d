/**
 * BullMQ's calls, shared by its Redis and PostgreSQL backends: the task is a job's data, its id the
 * job id. Create is `queue.add` (a waiting job), load `queue.getJob`, update `job.updateData` on the
 * `Job` the previous write returned.
 */
import { type PeerCalls, peerDocument } from './fixtures.js';

/** What one call does, for the report. */
export const BULLMQ_CALLS = {
  create: "queue.add('task', doc, { jobId: id })",
  load: 'queue.getJob(id)',
  update: 'job.updateData(doc)',
} as const;

/** The queue name both backends use. */
export const BULLMQ_QUEUE = 'bench-tasks';

/** The part of a job the update needs. */
interface JobHandle {
  updateData(data: unknown): Promise<void>;
}

/** The part of a `Queue` the calls use, whatever its backend. */
interface JobQueue {
  add(name: string, data: unknown, opts: { jobId: string }): Promise<JobHandle>;
  getJob(jobId: string): Promise<JobHandle | undefined>;
}

export function bullmqCalls(queue: JobQueue): PeerCalls<JobHandle> {
  const doc = peerDocument('peer');
  return {
    insert: (jobId) => queue.add('task', doc, { jobId }),
    read: (jobId) => queue.getJob(jobId),
    write: async (_jobId, job) => {
      await job.updateData(doc);
      return job;
    },
  };
}
