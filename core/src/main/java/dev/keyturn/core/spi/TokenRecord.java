package dev.keyturn.core.spi;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.Grant;
import dev.keyturn.core.KeyturnException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A token as stored: a public id, the SHA-256 of the token, its grants ({@code capability:glob}),
 * lifetime, and its creator: the id of the token that made it, or none for the root token and for
 * orphans ({@code token create --orphan}). Revoking a token revokes every token it made, directly
 * or through others. The token itself is never stored.
 *
 * <p>A token with an expiry may be renewed ({@link #renewed}): its expiry moves to the renewal time
 * plus its original lifetime, never past its creator's expiry. The original lifetime is {@code
 * expiresAt - createdAt} until the first renewal, which records it in {@code lifetime}.
 *
 * @param creatorSource how {@code creator} is known: see {@link CreatorSource}
 * @param lifetime the original lifetime, recorded at the first renewal; empty before
 */
public record TokenRecord(
    String id,
    String name,
    byte[] hash,
    List<String> grants,
    Instant createdAt,
    Optional<Instant> expiresAt,
    Optional<Instant> revokedAt,
    Optional<String> creator,
    CreatorSource creatorSource,
    Optional<Duration> lifetime) {

  /** The id of the token a first start makes. */
  public static final String ROOT_ID = "root";

  private static final Grant ADMIN_ALL = Grant.parse("admin:*");

  /** How a token's creator is known. */
  public enum CreatorSource {
    /** Recorded when the token was made (none for the root token and orphans). */
    RECORDED,
    /** Made before creators were recorded; taken from its verified {@code token.create} record. */
    AUDIT,
    /** Made before creators were recorded, with no verified record: taken to be root's child. */
    INFERRED,
    /** Made before creators were recorded and not yet looked up; counts as root's child. */
    UNRESOLVED;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static CreatorSource fromWire(String text) {
      return valueOf(text.toUpperCase(Locale.ROOT));
    }
  }

  public TokenRecord {
    requireNonNull(id, "id");
    requireNonNull(name, "name");
    requireNonNull(hash, "hash");
    grants = List.copyOf(grants);
    requireNonNull(createdAt, "createdAt");
    requireNonNull(expiresAt, "expiresAt");
    requireNonNull(revokedAt, "revokedAt");
    requireNonNull(creator, "creator");
    requireNonNull(creatorSource, "creatorSource");
    requireNonNull(lifetime, "lifetime");
    if (lifetime.isPresent() && (expiresAt.isEmpty() || !lifetime.get().isPositive())) {
      throw new IllegalArgumentException("token " + id + ": a lifetime needs a positive expiry");
    }
  }

  /** A token that has never been renewed. */
  public TokenRecord(
      String id,
      String name,
      byte[] hash,
      List<String> grants,
      Instant createdAt,
      Optional<Instant> expiresAt,
      Optional<Instant> revokedAt,
      Optional<String> creator,
      CreatorSource creatorSource) {
    this(
        id,
        name,
        hash,
        grants,
        createdAt,
        expiresAt,
        revokedAt,
        creator,
        creatorSource,
        Optional.empty());
  }

  /** The lifetime a renewal adds: the recorded one, else {@code expiresAt - createdAt}. */
  public Optional<Duration> originalLifetime() {
    return lifetime.or(() -> expiresAt.map(e -> Duration.between(createdAt, e)));
  }

  /**
   * This token renewed at {@code now}: it expires at {@code now} plus its original lifetime, or at
   * {@code creatorExpiry} if that comes first, and never earlier than it did.
   *
   * @param creatorExpiry the expiry of the token that made it; empty for none or no expiry
   * @throws KeyturnException.Unauthenticated if it is not valid at {@code now}
   * @throws KeyturnException.Conflict if it does not expire
   */
  public TokenRecord renewed(Instant now, Optional<Instant> creatorExpiry) {
    if (!validAt(now)) {
      throw new KeyturnException.Unauthenticated(
          "token " + id + (revokedAt.isPresent() ? " is revoked" : " has expired"));
    }
    if (expiresAt.isEmpty()) {
      throw new KeyturnException.Conflict(
          "token " + id + " does not expire; there is nothing to renew");
    }
    Duration original = originalLifetime().orElseThrow();
    Instant until = now.plus(original);
    if (creatorExpiry.isPresent() && creatorExpiry.get().isBefore(until)) {
      until = creatorExpiry.get();
    }
    if (until.isBefore(expiresAt.get())) {
      until = expiresAt.get();
    }
    return new TokenRecord(
        id,
        name,
        hash,
        grants,
        createdAt,
        Optional.of(until),
        revokedAt,
        creator,
        creatorSource,
        Optional.of(original));
  }

  /** True if the token may be used at {@code now}: not revoked and not expired. */
  public boolean validAt(Instant now) {
    return revokedAt.isEmpty() && expiresAt.map(now::isBefore).orElse(true);
  }

  /** The creator revocation follows: the recorded one, or root for a token not yet looked up. */
  public Optional<String> effectiveCreator() {
    return creatorSource == CreatorSource.UNRESOLVED ? Optional.of(ROOT_ID) : creator;
  }

  /** True if one of its grants covers {@code admin:*}: it can manage tokens and recover. */
  public boolean holdsAdminAll() {
    return grants.stream().map(Grant::ofStored).anyMatch(g -> g.covers(ADMIN_ALL));
  }

  /** True when the creator is a guess: no verified record names it. */
  public boolean creatorInferred() {
    return creatorSource == CreatorSource.INFERRED || creatorSource == CreatorSource.UNRESOLVED;
  }

  /** This token revoked at {@code at}; one already revoked stays as it is. */
  public TokenRecord revoked(Instant at) {
    return revokedAt.isPresent()
        ? this
        : new TokenRecord(
            id,
            name,
            hash,
            grants,
            createdAt,
            expiresAt,
            Optional.of(at),
            creator,
            creatorSource,
            lifetime);
  }

  /** This token with its creator looked up. */
  public TokenRecord withCreator(Optional<String> creator, CreatorSource source) {
    return new TokenRecord(
        id, name, hash, grants, createdAt, expiresAt, revokedAt, creator, source, lifetime);
  }
}
