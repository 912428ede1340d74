package dev.keyturn.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * One row of the status board: who owns the secret, how it rotates, when it last did and is next
 * due, until when the previous value is accepted, and its state: {@code ok}, {@code due}, {@code
 * overdue}, {@code rotating}, {@code waiting}, {@code failed}, {@code invalid}, {@code no rule} or
 * {@code deleted} (docs/rules.md, "Notifications"). A {@code waiting} row caused by consumers names
 * them in {@code waiting_for} (left out when empty). {@code failed_consumers} (left out when empty)
 * names the live consumers that could not apply a newer version (an agent whose reload or health
 * check failed), whatever the state. {@code type} (of the current value), {@code current_version},
 * {@code pending_version} and {@code previous_version} (the newest previous one still accepted) say
 * where its versions stand; each is left out when there is none.
 */
public record StatusRow(
    String name,
    String owner,
    String strategy,
    String lastRotated,
    String nextDue,
    String graceUntil,
    String state,
    String rotationId,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> waitingFor,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<ConsumerFailure> failedConsumers,
    @JsonInclude(JsonInclude.Include.NON_NULL) String type,
    @JsonInclude(JsonInclude.Include.NON_NULL) Integer currentVersion,
    @JsonInclude(JsonInclude.Include.NON_NULL) Integer pendingVersion,
    @JsonInclude(JsonInclude.Include.NON_NULL) Integer previousVersion) {

  /** A row without its versions. */
  public StatusRow(
      String name,
      String owner,
      String strategy,
      String lastRotated,
      String nextDue,
      String graceUntil,
      String state,
      String rotationId,
      List<String> waitingFor,
      List<ConsumerFailure> failedConsumers) {
    this(
        name,
        owner,
        strategy,
        lastRotated,
        nextDue,
        graceUntil,
        state,
        rotationId,
        waitingFor,
        failedConsumers,
        null,
        null,
        null,
        null);
  }

  /** A row where no consumer failed to apply a version. */
  public StatusRow(
      String name,
      String owner,
      String strategy,
      String lastRotated,
      String nextDue,
      String graceUntil,
      String state,
      String rotationId,
      List<String> waitingFor) {
    this(
        name,
        owner,
        strategy,
        lastRotated,
        nextDue,
        graceUntil,
        state,
        rotationId,
        waitingFor,
        List.of());
  }

  /** A row that waits for no consumer. */
  public StatusRow(
      String name,
      String owner,
      String strategy,
      String lastRotated,
      String nextDue,
      String graceUntil,
      String state,
      String rotationId) {
    this(name, owner, strategy, lastRotated, nextDue, graceUntil, state, rotationId, List.of());
  }
}
