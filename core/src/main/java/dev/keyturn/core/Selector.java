package dev.keyturn.core;

import java.util.Optional;

/** Which version a read asks for: the current one, a number, or a stage. */
public record Selector(Optional<Integer> version, Optional<Stage> stage) {
  public Selector {
    if (version.isPresent() && stage.isPresent()) {
      throw new KeyturnException.InvalidInput("ask for a version or a stage, not both");
    }
    if (stage.isPresent() && stage.get() == Stage.RETIRED) {
      throw new KeyturnException.InvalidInput(
          "retired versions are read by number (version=N), not by stage");
    }
  }

  public static Selector current() {
    return new Selector(Optional.empty(), Optional.empty());
  }

  public static Selector version(int number) {
    return new Selector(Optional.of(number), Optional.empty());
  }

  public static Selector stage(Stage stage) {
    return new Selector(Optional.empty(), Optional.of(stage));
  }
}
