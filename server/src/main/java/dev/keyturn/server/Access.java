package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.Capability;
import dev.keyturn.core.Grant;
import dev.keyturn.core.SecretName;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Who may call one route, declared once in the {@link Routes} table and enforced by {@link
 * Authorizer} before the route's handler runs (DESIGN invariant 10). A declaration says which token
 * the route needs (none, any valid one, or one holding a capability), on which secret name that
 * capability is checked ({@link Subject}), and which further requirements depend on the body or on
 * stored state ({@link Extra}). Handlers never decide access themselves.
 */
record Access(
    Kind kind,
    Optional<Capability> capability,
    Subject subject,
    List<Extra> extras,
    Optional<Capability> elevated) {

  /** What kind of caller a route accepts. */
  enum Kind {
    /** No token is asked for and none is checked. */
    NO_TOKEN,
    /** Any valid token, whatever its grants. */
    ANY_TOKEN,
    /** A valid token holding {@link #capability} on the {@link #subject}. */
    CAPABILITY
  }

  Access {
    requireNonNull(kind, "kind");
    requireNonNull(capability, "capability");
    requireNonNull(subject, "subject");
    extras = List.copyOf(extras);
    requireNonNull(elevated, "elevated");
    if ((kind == Kind.CAPABILITY) != capability.isPresent()) {
      throw new IllegalArgumentException(
          kind == Kind.CAPABILITY
              ? "a route that needs a capability must name it"
              : "a route that needs no capability cannot name one");
    }
    if ((kind == Kind.CAPABILITY) == (subject instanceof Subject.Nothing)) {
      throw new IllegalArgumentException(
          "a capability is checked on a subject, and only a capability is");
    }
  }

  /** The route needs no token. */
  static Access noToken() {
    return new Access(
        Kind.NO_TOKEN, Optional.empty(), new Subject.Nothing(), List.of(), Optional.empty());
  }

  /** The route needs a valid token, whatever its grants. */
  static Access anyToken() {
    return new Access(
        Kind.ANY_TOKEN, Optional.empty(), new Subject.Nothing(), List.of(), Optional.empty());
  }

  /** The route needs {@code capability} on {@code subject}. */
  static Access needs(Capability capability, Subject subject) {
    return new Access(
        Kind.CAPABILITY, Optional.of(capability), subject, List.of(), Optional.empty());
  }

  /** This declaration with one more requirement. */
  Access and(Extra extra) {
    List<Extra> more = new java.util.ArrayList<>(extras);
    more.add(extra);
    return new Access(kind, capability, subject, more, elevated);
  }

  /**
   * This declaration, and the handler learns whether the caller also holds {@code higher} on the
   * subject (for a check the store makes atomically with the change, as reading a retired version).
   */
  Access elevatedBy(Capability higher) {
    return new Access(kind, capability, subject, extras, Optional.of(higher));
  }

  /** Whether the route answers a list whose rows are filtered instead of refusing with 403. */
  boolean filtersRows() {
    return subject instanceof Subject.Rows;
  }

  /** The declaration in words, as docs/api.md and the API document show it. */
  String describe() {
    StringBuilder text =
        new StringBuilder(
            switch (kind) {
              case NO_TOKEN -> "no token";
              case ANY_TOKEN -> "any valid token";
              case CAPABILITY ->
                  switch (subject) {
                    case Subject.Everything e -> capability.orElseThrow().wireName() + ":*";
                    case Subject.Rows r when r.alternatives().isEmpty() ->
                        capability.orElseThrow().wireName() + " (rows filtered by it)";
                    case Subject.Rows r ->
                        java.util.stream.Stream.concat(
                                    java.util.stream.Stream.of(capability.orElseThrow()),
                                    r.alternatives().stream())
                                .map(Capability::wireName)
                                .collect(java.util.stream.Collectors.joining(" or "))
                            + " (rows filtered by them)";
                    case Subject.Folder f ->
                        capability.orElseThrow().wireName()
                            + " on every name below ?"
                            + f.param()
                            + "=";
                    case Subject.Anywhere a ->
                        (capability.orElseThrow() == Capability.ADMIN ? "an " : "a ")
                            + capability.orElseThrow().wireName()
                            + " grant";
                    case Subject.Lookup l ->
                        capability.orElseThrow().wireName() + " on the " + l.what() + "'s secret";
                    default -> capability.orElseThrow().wireName();
                  };
            });
    for (Extra extra : extras) {
      text.append("; ").append(extra.when()).append(": ").append(extra.describe());
    }
    return text.toString();
  }

  /** Where the name that a route's capability is checked on comes from. */
  sealed interface Subject {
    /** No name: the route needs no capability. */
    record Nothing() implements Subject {}

    /** The secret name in the path. */
    record PathName() implements Subject {}

    /**
     * An id in the path, looked up first: the capability is checked on the secret it belongs to. An
     * unknown id gets the same answer as one the caller may not act on.
     */
    record Lookup(String what, Function<String, Optional<SecretName>> secretOf) implements Subject {
      public Lookup {
        requireNonNull(what, "what");
        requireNonNull(secretOf, "secretOf");
      }
    }

    /**
     * A list: the answer is 200 with the rows on whose secret the caller holds the capability
     * (possibly none), or one of the {@code alternatives}; {@code param} is the query parameter
     * that narrows it, or with {@code inBody} the body's field.
     */
    record Rows(String param, List<Capability> alternatives, boolean inBody) implements Subject {
      public Rows {
        requireNonNull(param, "param");
        alternatives = List.copyOf(alternatives);
      }

      public Rows(String param, List<Capability> alternatives) {
        this(param, alternatives, false);
      }

      /** Rows filtered by the route's capability alone. */
      public Rows(String param) {
        this(param, List.of(), false);
      }

      /** Rows filtered by the route's capability alone, narrowed by a field of the body. */
      static Rows byBodyField(String field) {
        return new Rows(field, List.of(), true);
      }
    }

    /**
     * Every name below the folder that the query parameter {@code param} gives (every name when it
     * is absent or empty): a grant covering {@code capability:FOLDER/*}. A folder that is not a
     * canonical name is a 400.
     */
    record Folder(String param) implements Subject {
      public Folder {
        requireNonNull(param, "param");
      }
    }

    /** Every name: the capability on {@code *} (a grant covering {@code capability:*}). */
    record Everything() implements Subject {}

    /** Some name: a grant with the capability on any name; the extras check the body's names. */
    record Anywhere() implements Subject {}
  }

  /** Where an extra requirement applies. */
  enum On {
    /** The route's own subject. */
    SUBJECT,
    /** Another secret that the body or the stored state names. */
    NAMED,
    /** A grant that the body asks for: one of the caller's grants must cover it. */
    GRANTS
  }

  /**
   * A requirement that depends on the body or on stored state: when {@code when} holds, the caller
   * also needs {@code capability} {@code on} the names {@code needs} returns (for {@link
   * On#GRANTS}, the grants to cover). {@code needs} may parse the body (a 400 for bad input) and
   * returns nothing when the requirement does not apply.
   */
  record Extra(String when, Capability capability, On on, Function<Exchange, List<Need>> needs) {
    Extra {
      requireNonNull(when, "when");
      requireNonNull(capability, "capability");
      requireNonNull(on, "on");
      requireNonNull(needs, "needs");
    }

    String describe() {
      return switch (on) {
        case SUBJECT -> capability.wireName() + " too";
        case NAMED -> capability.wireName() + " on each";
        case GRANTS -> "each covered by one of the caller's grants";
      };
    }
  }

  /** One thing a caller must hold for a request to go on. */
  sealed interface Need {
    /** {@code capability} on the secret {@code name}. */
    record Holds(Capability capability, SecretName name) implements Need {}

    /** A grant that covers {@code grant}. */
    record Covering(Grant grant) implements Need {}
  }
}
