package dev.keyturn.api;

import java.util.List;

/**
 * A token's metadata: never the token.
 *
 * @param creator the id of the token that made it; null for the root token and orphans
 * @param creatorInferred true when no verified record names the creator (a token made before
 *     creators were recorded): it is taken to be root's child
 * @param revokedWith in the answer to a revocation, the tokens it made (directly or through others)
 *     that were revoked with it; empty otherwise
 */
public record TokenInfo(
    String id,
    String name,
    List<String> grants,
    String createdAt,
    String expiresAt,
    String revokedAt,
    boolean valid,
    String creator,
    boolean creatorInferred,
    List<String> revokedWith) {}
