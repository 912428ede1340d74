package dev.keyturn.api;

import java.util.List;

/** {@code GET /v1/status?prefix=}: one row per secret with a rotation rule. */
public record StatusResponse(List<StatusRow> secrets) {}
