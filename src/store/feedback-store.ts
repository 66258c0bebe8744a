/** Feedback on turns (correct or not, with an optional comment and expected answer), for export as a dataset. */
export interface FeedbackRow {
  id: string;
  turnId: string;
  traceId: string | null;
  workspaceId: string;
  userId: string;
  isCorrect: boolean;
  comment: string | null;
  expectedResponse: string | null;
  createdAt: number;
}

export interface FeedbackStore {
  addFeedback(row: FeedbackRow): Promise<void>;
  /** Oldest first (created_at, then id). */
  listFeedback(options?: { turnId?: string; traceId?: string }): Promise<FeedbackRow[]>;
}
