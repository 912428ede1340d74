package dev.keyturn.store;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * One stored change event: version {@code version} of secret {@code name} was created in, or moved
 * to, {@code stage} at {@code at}. {@code id} grows with commit order across every node sharing the
 * store. Never holds a value.
 */
public record ChangeEvent(long id, String name, int version, String stage, Instant at) {
  public ChangeEvent {
    requireNonNull(name, "name");
    requireNonNull(stage, "stage");
    requireNonNull(at, "at");
  }
}
