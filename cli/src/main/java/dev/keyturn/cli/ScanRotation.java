package dev.keyturn.cli;

import dev.keyturn.api.RotateRequest;
import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.StageRequest;
import dev.keyturn.client.KeyturnClientException;
import dev.keyturn.client.internal.WireClient;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code keyturn scan --rotate}: acts on the managed values a scan found. A found current version
 * gets an emergency rotation with the reason {@code scan PATH:LINE}; a found pending one has its
 * rotation cancelled (or, made by hand, is retired) and an emergency rotation started; a found
 * previous one is retired. A secret rotated by hand ({@code manual}) or without a rule is listed
 * with the command a person must run. A refused action is reported and the others go on.
 */
final class ScanRotation {
  private static final Set<String> FINAL = Set.of("finished", "failed");

  private final WireClient client;
  private final PrintStream out;

  ScanRotation(WireClient client, PrintStream out) {
    this.client = client;
    this.out = out;
  }

  /** The secrets the managed findings name, each with its found versions and first location. */
  static Map<String, Map<Integer, ScanFinding>> bySecret(List<ScanFinding> findings) {
    Map<String, Map<Integer, ScanFinding>> out = new LinkedHashMap<>();
    for (ScanFinding f : findings) {
      if (f.managed()) {
        out.computeIfAbsent(f.secret(), s -> new LinkedHashMap<>()).putIfAbsent(f.version(), f);
      }
    }
    return out;
  }

  /** Acts on every secret; returns true when every action was done. */
  boolean run(Map<String, Map<Integer, ScanFinding>> secrets) throws InterruptedException {
    boolean all = true;
    for (Map.Entry<String, Map<Integer, ScanFinding>> secret : secrets.entrySet()) {
      all &= act(secret.getKey(), new ArrayList<>(secret.getValue().values()));
    }
    return all;
  }

  private boolean act(String name, List<ScanFinding> found) throws InterruptedException {
    boolean ok = true;
    ScanFinding current = null;
    ScanFinding pending = null;
    for (ScanFinding f : found) {
      switch (f.stage()) {
        case "current" -> current = current == null ? f : current;
        case "pending" -> pending = pending == null ? f : pending;
        default -> ok &= retire(name, f);
      }
    }
    if (pending != null) {
      ok &= dropPending(name, pending);
    }
    ScanFinding leaked = current != null ? current : pending;
    if (leaked != null) {
      ok &= rotate(name, leaked);
    }
    return ok;
  }

  private boolean retire(String name, ScanFinding f) {
    try {
      client.stage(name, new StageRequest(f.version(), "retired", null));
      out.println(name + "#" + f.version() + " (previous): retired");
      return true;
    } catch (KeyturnClientException e) {
      out.println(name + "#" + f.version() + " (previous): not retired: " + e.getMessage());
      return false;
    }
  }

  private boolean dropPending(String name, ScanFinding f) {
    try {
      for (RotationInfo r : client.rotations(name).rotations()) {
        if (!FINAL.contains(r.state())
            && r.pendingVersion() != null
            && r.pendingVersion().equals(f.version())) {
          client.cancelRotation(r.id());
          out.println(name + "#" + f.version() + " (pending): rotation " + r.id() + " cancelled");
          return true;
        }
      }
      client.stage(name, new StageRequest(f.version(), "retired", null));
      out.println(name + "#" + f.version() + " (pending): retired");
      return true;
    } catch (KeyturnClientException e) {
      out.println(name + "#" + f.version() + " (pending): not dropped: " + e.getMessage());
      return false;
    }
  }

  private boolean rotate(String name, ScanFinding f) throws InterruptedException {
    String reason = reason(f);
    RotationInfo rotation;
    try {
      rotation = client.rotate(name, new RotateRequest(null, true, reason));
    } catch (KeyturnClientException e) {
      String message = e.getMessage() == null ? "" : e.getMessage();
      if (message.contains("rotated manually")) {
        out.println(
            name
                + ": rotated by hand; run: keyturn rotate "
                + name
                + " --emergency --stdin --reason '"
                + reason.replace("'", "")
                + "'");
      } else if (message.contains("no rotation rule")) {
        out.println(
            name
                + ": has no rotation rule; store a new value (keyturn put "
                + name
                + " --stdin) and change it wherever it is used");
      } else {
        out.println(name + ": emergency rotation refused: " + message);
      }
      return false;
    }
    while (!FINAL.contains(rotation.state())) {
      Thread.sleep(500);
      rotation = client.rotation(rotation.id());
    }
    boolean done = RotateCommand.complete(rotation.state(), rotation.checklist());
    out.println(
        name
            + ": emergency rotation "
            + rotation.id()
            + " "
            + rotation.state()
            + (rotation.pendingVersion() == null
                ? ""
                : ", version " + rotation.pendingVersion() + " current")
            + " (reason: "
            + reason
            + ")");
    return done;
  }

  /** {@code scan PATH:LINE}, without control characters, at most 500 characters. */
  static String reason(ScanFinding f) {
    String clean = ScanReport.printable("scan " + f.path() + ":" + f.line());
    return clean.length() <= 500 ? clean : clean.substring(0, 500);
  }
}
