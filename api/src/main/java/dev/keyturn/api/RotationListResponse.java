package dev.keyturn.api;

import java.util.List;

/** {@code GET /v1/rotations?secret=NAME}: newest first. */
public record RotationListResponse(List<RotationInfo> rotations) {}
