/**
 * The public-key directory (privacy rule 5): networks publish their users' public identity keys
 * into an append-only, hash-chained log ({@link io.parlor.core.keys.KeyLog}); a network fetches the
 * current key of a recipient who opted in, at the account the router would deliver encrypted
 * content to, without learning that account ({@link io.parlor.core.keys.KeysApi}). Private keys are
 * refused ({@link io.parlor.core.keys.PublicKeys}) and never stored.
 */
package io.parlor.core.keys;
