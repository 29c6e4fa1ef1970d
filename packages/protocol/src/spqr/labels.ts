/**
 * Every KDF/MAC label SPQR V1 uses, byte for byte. Note the TWO spaces in
 * CHAIN_START ("Chain  Start"); the other chain labels have one.
 */
export const LABEL_AUTH_UPDATE = 'Signal_PQCKA_V1_MLKEM768:Authenticator Update';
export const LABEL_HDR_MAC = 'Signal_PQCKA_V1_MLKEM768:ekheader';
export const LABEL_CT_MAC = 'Signal_PQCKA_V1_MLKEM768:ciphertext';
export const LABEL_SCKA_KEY = 'Signal_PQCKA_V1_MLKEM768:SCKA Key';
export const LABEL_CHAIN_START = 'Signal PQ Ratchet V1 Chain  Start';
export const LABEL_CHAIN_ADD_EPOCH = 'Signal PQ Ratchet V1 Chain Add Epoch';
export const LABEL_CHAIN_NEXT = 'Signal PQ Ratchet V1 Chain Next';
