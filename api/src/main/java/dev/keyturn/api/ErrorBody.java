package dev.keyturn.api;

/** A stable machine-readable {@code code} (see docs/api.md) and a message for people. */
public record ErrorBody(String code, String message) {}
