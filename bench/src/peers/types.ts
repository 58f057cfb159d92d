/**
 * What every peer library provides to `pnpm bench --peers`: the same three operations as the
 * taskvault side (create, load, update of the ~2.2 KB agent task), each as a `Side`, measured in
 * the same rounds as taskvault and the raw driver of its backend.
 */
import type { BackendName } from '../backends/types.js';
import type { Side } from '../harness.js';

/** The operations peers are measured on (PEERS.md's columns). */
export const PEER_OPS = ['create', 'load', 'update'] as const;
export type PeerOp = (typeof PEER_OPS)[number];

/** Where a peer runs: what its backend session hands it. */
export interface PeerContext {
  /**
   * A Redis URL (the backend's own server; peers use their own key prefixes), or the URL of a
   * PostgreSQL database made for this peer alone; null on the memory backend.
   */
  url: string | null;
  /** The most concurrent workers a cell runs; peers with a pool size it to this (as the raw side). */
  maxConcurrency: number;
}

/** A peer opened with its fixtures (read pool, update slots) loaded, ready to be timed. */
export interface PeerSession {
  sides: { [K in PeerOp]: Side };
  /** Closes clients and pools (never the servers, which belong to the backend session). */
  close(): Promise<void>;
}

/** One library a user would pick instead of taskvault. */
export interface Peer {
  readonly backend: BackendName;
  /** Row label: library, pinned version and store, as PEERS.md names it. */
  readonly label: string;
  /** A short name for databases and key prefixes (`keyv`, `bullmq`...). */
  readonly slug: string;
  /** What one call of each operation does, for the report. */
  readonly calls: { [K in PeerOp]: string };
  open(context: PeerContext): Promise<PeerSession>;
}
