/** History transfer to a newly linked device (docs/history-transfer.md). */
export { HistoryTransfers, type HistoryImportResult } from './history-transfer.ts';
export { HistoryTransferError, type HistoryTransferErrorCode } from './errors.ts';
export { DEFAULT_HISTORY_TRANSFER, type HistoryBlobs, type HistoryOffer, type HistoryTransferEvent, type HistoryTransferOptions, type HistoryTransferPhase } from './options.ts';
export { HISTORY_ARCHIVE_MAX_ROWS, HISTORY_ROW_MAX_CONTENT } from './archive.ts';
export type { HistoryTransferFields } from './content-fields.ts';
