package dev.keyturn.cli;

import dev.keyturn.api.CheckInfo;
import dev.keyturn.api.RotateRequest;
import dev.keyturn.api.RotationInfo;
import dev.keyturn.client.KeyturnClientException;
import dev.keyturn.client.KeyturnConflictException;
import dev.keyturn.client.internal.WireClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyturn rotate NAME}: rotates now and waits for the outcome. */
@Command(
    name = "rotate",
    mixinStandardHelpOptions = true,
    description = {
      "Rotates a secret now under its rule and waits for the outcome.",
      "Exits 4 when the rotation did not finish, or finished with a failed check or hook"
          + " (keyturn help exit-codes).",
      "--emergency retires the old value at once (then see: keyturn audit --secret NAME);",
      "--reason says why, in the rotation and its audit record."
    })
final class RotateCommand extends ClientCommand implements Callable<Integer> {
  private static final Set<String> FINAL = Set.of("finished", "failed");

  @Parameters(paramLabel = "NAME")
  String name;

  @Option(
      names = "--emergency",
      description = "The old value is compromised: retire it at once, no grace.")
  boolean emergency;

  @Option(
      names = "--reason",
      paramLabel = "TEXT",
      description =
          "Why (e.g. the incident of an emergency): kept in the rotation and its audit record;"
              + " at most 500 characters, no control characters.")
  String reason;

  @Option(
      names = "--stdin",
      description =
          "Read the new value from standard input (manual strategy; one trailing newline removed).")
  boolean stdin;

  @Option(names = "--detach", description = "Return at once with the rotation id.")
  boolean detach;

  @Option(names = "--json", description = "Print the rotation as JSON.")
  boolean json;

  @Override
  public Integer call() throws IOException, InterruptedException {
    String value = null;
    if (stdin) {
      value = new String(io().in().readAllBytes(), StandardCharsets.UTF_8);
      if (value.endsWith("\n")) {
        value = value.substring(0, value.length() - 1);
      }
    }
    WireClient client = client();
    RotationInfo rotation;
    try {
      rotation = client.rotate(name, new RotateRequest(value, emergency ? true : null, reason));
    } catch (KeyturnConflictException e) {
      throw new KeyturnClientException(
          409,
          e.code(),
          e.getMessage()
              + e.rotationId().map(id -> " (keyturn rotations " + name + ")").orElse(""));
    }
    ProgressBar bar = new ProgressBar(io().err());
    while (!detach && !FINAL.contains(rotation.state())) {
      if (io().terminal() && !json && rotation.progress() != null) {
        bar.draw(rotation.progress());
      }
      Thread.sleep(500);
      rotation = client.rotation(rotation.id());
    }
    bar.end();
    if (json) {
      printJson(rotation);
    } else if (detach && !FINAL.contains(rotation.state())) {
      io().out().println(rotation.id());
    } else {
      print(rotation);
    }
    if (detach && !FINAL.contains(rotation.state())) {
      return ExitCode.OK;
    }
    return complete(rotation.state(), rotation.checklist())
        ? ExitCode.OK
        : ExitCode.ROTATION_INCOMPLETE;
  }

  /**
   * Finished, and every line of its checklist ended well: a failed line counts unless the same step
   * succeeded later (a retry).
   */
  static boolean complete(String state, List<CheckInfo> checks) {
    if (!state.equals("finished")) {
      return false;
    }
    for (int i = 0; i < checks.size(); i++) {
      CheckInfo check = checks.get(i);
      if (!check.ok()
          && checks.subList(i + 1, checks.size()).stream()
              .noneMatch(later -> later.ok() && later.name().equals(check.name()))) {
        return false;
      }
    }
    return true;
  }

  /** The text in double quotes, quotes and backslashes and any control character escaped. */
  private static String quoted(String text) {
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (Character.isISOControl(c)) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }

  private void print(RotationInfo r) {
    io().out()
        .println(
            r.secret()
                + ": rotation "
                + r.id()
                + " "
                + r.state()
                + (r.pendingVersion() == null ? "" : ", version " + r.pendingVersion())
                + (r.reason() == null || r.state().equals("finished")
                    ? ""
                    : " (" + r.reason() + ")"));
    if (r.requestReason() != null) {
      io().out().println("  reason: " + quoted(r.requestReason()));
    }
    if (r.progress() != null) {
      io().out().println("  rows: " + ProgressBar.line(r.progress()));
    }
    for (CheckInfo c : r.checklist()) {
      io().out()
          .println(
              "  "
                  + (c.ok() ? "ok    " : "FAILED")
                  + " "
                  + c.name()
                  + " ("
                  + c.millis()
                  + " ms)"
                  + (c.message().isEmpty() ? "" : ": " + c.message()));
    }
  }
}
