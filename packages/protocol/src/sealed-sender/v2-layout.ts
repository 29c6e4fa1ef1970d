/**
 * Field sizes of sealed sender v2's flat formats, kept apart from the key
 * schedule so that parsing (which the relay does) needs no cryptography.
 */

/** Length of M and of each C_i. */
export const V2_MESSAGE_KEY_LENGTH = 32;
/** Length of each AT_i. */
export const V2_AUTH_TAG_LENGTH = 16;
/** Length of E.public in the flat v2 formats (bare `u`). */
export const V2_PUBLIC_KEY_LENGTH = 32;
