package dev.keyturn.server;

import dev.keyturn.core.Caller;
import dev.keyturn.core.Capability;
import dev.keyturn.core.Grant;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.SecretName;
import dev.keyturn.server.Access.Need;
import dev.keyturn.server.Access.Subject;
import java.util.Optional;

/**
 * The one place where the server decides whether a caller may go on: it enforces a route's {@link
 * Access} declaration on an authenticated request, after the path is parsed and before the handler
 * runs. First the capability on the subject (from the path, an id looked up first, or every name),
 * then the requirements that depend on the body or on stored state, so a caller without the
 * capability learns nothing from how its body would have been judged. Stateless.
 */
final class Authorizer {
  private Authorizer() {}

  /**
   * Checks {@code access} for {@code ex}'s caller and prepares what the handler is told (the rows
   * it may show, whether the caller holds the elevated capability).
   *
   * @return the secret the capability was checked on, when it is one secret
   * @throws KeyturnException.Forbidden when the caller lacks something the route declares
   * @throws KeyturnException.NotFound for an unknown id, when the caller could act on every id
   */
  static Optional<SecretName> authorize(Access access, Exchange ex) {
    if (access.kind() != Access.Kind.CAPABILITY) {
      return Optional.empty();
    }
    Caller caller = ex.caller;
    Capability capability = access.capability().orElseThrow();
    // Plain instanceof tests, not a pattern switch: this runs on every request, the first one
    // included, and a pattern switch's bootstrap would slow a freshly started server's answers.
    Subject declared = access.subject();
    Optional<SecretName> subject = Optional.empty();
    if (declared instanceof Subject.PathName) {
      require(caller, capability, ex.name());
      subject = Optional.of(ex.name());
    } else if (declared instanceof Subject.Lookup lookup) {
      subject = Optional.of(lookUp(caller, capability, lookup, ex));
    } else if (declared instanceof Subject.Rows rows) {
      ex.granted =
          name -> {
            for (Capability c : Capability.values()) {
              if (caller.can(c, name)) {
                return true;
              }
            }
            return false;
          };
      java.util.List<Capability> or = rows.alternatives();
      ex.everyRow = coversEveryName(caller, capability);
      ex.rowPatterns =
          ex.everyRow
              ? java.util.List.of()
              : caller.grants().stream()
                  .filter(g ->
                      g.capability() == capability
                          || g.capability() == Capability.ADMIN
                          || or.contains(g.capability()))
                  .map(Grant::glob)
                  .distinct()
                  .toList();
      ex.visible =
          or.isEmpty()
              ? name -> caller.can(capability, name)
              : name ->
                  caller.can(capability, name) || or.stream().anyMatch(c -> caller.can(c, name));
    } else if (declared instanceof Subject.Folder folder) {
      String under = BundlesApi.folder(ex.query(folder.param()).orElse(""));
      Grant below = new Grant(capability, under.isEmpty() ? "*" : under + "/*");
      if (caller.grants().stream().noneMatch(g -> g.covers(below))) {
        throw new KeyturnException.Forbidden(
            "token "
                + caller.tokenId()
                + " lacks "
                + capability.wireName()
                + " on every name below '"
                + under
                + "' (a grant covering "
                + below
                + ")");
      }
    } else if (declared instanceof Subject.Everything) {
      if (!coversEveryName(caller, capability)) {
        throw new KeyturnException.Forbidden(
            "token " + caller.tokenId() + " lacks " + capability.wireName() + ":*");
      }
    } else if (declared instanceof Subject.Anywhere) {
      if (caller.grants().stream()
          .noneMatch(g -> g.capability() == capability || g.capability() == Capability.ADMIN)) {
        throw new KeyturnException.Forbidden(
            "token "
                + caller.tokenId()
                + " has no "
                + capability.wireName()
                + " grant, which this route needs");
      }
    } else {
      throw new IllegalStateException("a capability without a subject");
    }
    for (Access.Extra extra : access.extras()) {
      for (Need need : extra.needs().apply(ex)) {
        check(caller, need);
      }
    }
    ex.elevated =
        access.elevated().isPresent()
            && subject.isPresent()
            && caller.can(access.elevated().get(), subject.get().value());
    return subject;
  }

  private static SecretName lookUp(
      Caller caller, Capability capability, Subject.Lookup lookup, Exchange ex) {
    Optional<SecretName> secret = lookup.secretOf().apply(ex.pathTail());
    if (secret.isPresent() && caller.can(capability, secret.get().value())) {
      return secret.get();
    }
    // An unknown id and one on a secret the caller may not touch get the same answer, so ids
    // cannot be probed; only a caller who could act on any id is told that one does not exist.
    if (secret.isEmpty() && coversEveryName(caller, capability)) {
      throw new KeyturnException.NotFound("no " + lookup.what() + " has this id");
    }
    throw new KeyturnException.Forbidden(
        "no "
            + lookup.what()
            + " has this id, or token "
            + caller.tokenId()
            + " lacks "
            + capability.wireName()
            + " on its secret");
  }

  /**
   * Checks one requirement; for the routes that check requirements as they read a body (a restore
   * checks each name as its secret streams in) as well as for {@link #authorize}.
   */
  static void check(Caller caller, Need need) {
    if (need instanceof Need.Holds h) {
      require(caller, h.capability(), h.name());
    } else if (need instanceof Need.Covering c
        && caller.grants().stream().noneMatch(g -> g.covers(c.grant()))) {
      throw new KeyturnException.Forbidden(
          "token "
              + caller.tokenId()
              + " cannot grant "
              + c.grant()
              + ": none of its grants covers it");
    }
  }

  private static void require(Caller caller, Capability capability, SecretName name) {
    if (!caller.can(capability, name.value())) {
      throw new KeyturnException.Forbidden(
          "token " + caller.tokenId() + " lacks " + capability.wireName() + " on " + name);
    }
  }

  /**
   * Whether {@code access} lets {@code caller} call its route on {@code name} (absent for a route
   * without a name), judged on the declared capability and subject alone, and with {@code elevated}
   * also on the declared elevated capability: for the dashboard, to offer only the actions a
   * token's grants allow. Requirements that depend on a body or stored state are not judged here;
   * the request itself goes through {@link #authorize} as every request does.
   */
  static boolean permits(
      Access access, Caller caller, Optional<SecretName> name, boolean elevated) {
    if (access.kind() != Access.Kind.CAPABILITY) {
      return true;
    }
    Capability capability = access.capability().orElseThrow();
    Subject declared = access.subject();
    boolean allowed;
    if (declared instanceof Subject.PathName) {
      allowed = name.isPresent() && caller.can(capability, name.get().value());
    } else if (declared instanceof Subject.Everything) {
      allowed = coversEveryName(caller, capability);
    } else if (declared instanceof Subject.Anywhere) {
      allowed =
          caller.grants().stream()
              .anyMatch(g -> g.capability() == capability || g.capability() == Capability.ADMIN);
    } else if (declared instanceof Subject.Rows rows) {
      // A list answers with the rows the caller may see: about one secret, whether it may see it.
      allowed =
          name.isEmpty()
              || caller.can(capability, name.get().value())
              || rows.alternatives().stream().anyMatch(c -> caller.can(c, name.get().value()));
    } else {
      allowed = name.isPresent() && caller.can(capability, name.get().value());
    }
    if (elevated) {
      allowed &=
          access.elevated().isPresent()
              && name.isPresent()
              && caller.can(access.elevated().get(), name.get().value());
    }
    return allowed;
  }

  /** True if one of the caller's grants covers {@code capability} on every name. */
  static boolean coversEveryName(Caller caller, Capability capability) {
    Grant everything = new Grant(capability, "*");
    return caller.grants().stream().anyMatch(g -> g.covers(everything));
  }
}
