package dev.keyturn.cli;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.BundleEntry;
import dev.keyturn.api.KeyringEntry;
import dev.keyturn.api.KeyringResponse;
import dev.keyturn.api.SecretValueResponse;
import dev.keyturn.api.WireJson;
import dev.keyturn.cli.delivery.Fetched;
import dev.keyturn.cli.delivery.SecretSource;
import dev.keyturn.client.KeyturnForbiddenException;
import dev.keyturn.client.KeyturnNotFoundException;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.core.KeyturnException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * The mapping's values from the server: a folder through {@code GET /v1/bundles} (one request), a
 * single secret through its value or keyring route. A refusal is rethrown naming the secret.
 */
final class ClientSource implements SecretSource {
  private final WireClient client;

  ClientSource(WireClient client) {
    this.client = requireNonNull(client, "client");
  }

  @Override
  public List<Fetched> below(String prefix, boolean keyrings) {
    List<BundleEntry> entries;
    try {
      entries = client.bundle(prefix, keyrings).secrets();
    } catch (KeyturnForbiddenException e) {
      throw new KeyturnException.Forbidden("--path " + prefix + ": " + e.getMessage());
    }
    List<Fetched> out = new ArrayList<>();
    for (BundleEntry e : entries) {
      List<String> others = new ArrayList<>();
      List<Integer> numbers = new ArrayList<>();
      for (KeyringEntry k : e.fallbacks() == null ? List.<KeyringEntry>of() : e.fallbacks()) {
        others.add(text(k.value()));
        numbers.add(k.version());
      }
      out.add(
          new Fetched(
              e.name(), text(e.value()), !e.value().isString(), others, e.version(), numbers));
    }
    return out;
  }

  @Override
  public Optional<Fetched> one(String name, boolean keyring) {
    try {
      if (!keyring) {
        SecretValueResponse v = client.get(name);
        return Optional.of(
            new Fetched(
                name, text(v.value()), !v.value().isString(), List.of(), v.version(), List.of()));
      }
      KeyringResponse ring = client.keyring(name);
      JsonNode current = null;
      int number = 0;
      List<String> others = new ArrayList<>();
      List<Integer> numbers = new ArrayList<>();
      // The keyring is newest first: pending, current, then previous ones newest first.
      for (KeyringEntry k : ring.versions()) {
        if ("current".equals(k.stage())) {
          current = k.value();
          number = k.version();
        } else {
          others.add(text(k.value()));
          numbers.add(k.version());
        }
      }
      if (current == null) {
        return Optional.empty();
      }
      return Optional.of(
          new Fetched(name, text(current), !current.isString(), others, number, numbers));
    } catch (KeyturnNotFoundException e) {
      return Optional.empty();
    } catch (KeyturnForbiddenException e) {
      throw new KeyturnException.Forbidden(name + ": " + e.getMessage());
    }
  }

  static String text(JsonNode value) {
    return value.isString() ? value.stringValue() : WireJson.mapper().writeValueAsString(value);
  }
}
