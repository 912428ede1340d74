package dev.keyturn.api;

/** One step, hook or check of a rotation: name, result, duration, message (never a value). */
public record CheckInfo(String name, boolean ok, long millis, String message) {}
