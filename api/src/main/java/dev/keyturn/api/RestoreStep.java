package dev.keyturn.api;

/**
 * One secret in a restore's plan: {@code action} is {@code create}, {@code unchanged}, {@code
 * changed} (left alone) or {@code as_current}; {@code detail} says why, without a value; {@code
 * done} is true once a step that writes has been carried out.
 */
public record RestoreStep(String name, String action, String detail, boolean done) {}
