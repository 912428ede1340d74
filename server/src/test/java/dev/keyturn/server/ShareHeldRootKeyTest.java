package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RootKeyStatus;
import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.testing.TestServices;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotation of a share-held root key on a real server in a child process started sealed ({@code
 * --unseal-shares 3}): the new key's shares are answered once, to an {@code admin:*} caller only;
 * {@code ssss-combine} rebuilds the new key from every 3 of them; nothing changes until 3 of them
 * come back; after the end only the new shares unseal a restarted server; a SIGKILL at random
 * moments of rotations is resumed after a restart unsealed by either key's shares; no share is in
 * the server's log or audit records.
 */
class ShareHeldRootKeyTest {
  private static final String CANARY = "canary-share-rotation-77c1";
  private static final List<String> SEALED = List.of("--unseal-shares", "3");

  @TempDir Path dir;

  @Test
  void rotate_printsNewSharesOnce_confirmBegins_oldSharesStopUnsealingAfterTheEnd()
      throws Exception {
    Path data = dir.resolve("data");
    String url = "jdbc:sqlite:" + data.resolve("keyturn.db");
    Map<String, String> expected = new ConcurrentHashMap<>();
    List<String> oldShares = fillAndSplit(data, 200, expected);
    ChildServer server = ChildServer.start(data, SEALED);
    List<String> logs = new ArrayList<>();
    try {
      unsealWith(server, oldShares.subList(1, 4));
      WireClient root = server.client();
      String oldId = root.rootKey().rootKeyId();
      assertThat(root.rootKey().threshold()).isEqualTo(3);

      // Wrong capabilities: refused, nothing made.
      for (String grant : List.of("admin:app/*", "rotate:*", "read:*", "write:*")) {
        WireClient other =
            server.client(
                root.createToken(new TokenCreateRequest("t", List.of(grant), null)).token());
        assertThatThrownBy(() -> other.rotateRootKey(5))
            .as(grant)
            .isInstanceOf(dev.keyturn.client.KeyturnForbiddenException.class);
        assertThatThrownBy(() -> other.confirmRootKey(oldShares.subList(0, 3)))
            .as(grant)
            .isInstanceOf(dev.keyturn.client.KeyturnForbiddenException.class);
      }
      assertThat(server.http("POST", "/v1/root-key/rotate?shares=5", null, null).statusCode())
          .isEqualTo(401);
      // Bad input: 400, nothing made.
      for (String query : List.of("", "?shares=2", "?shares=256", "?shares=5%3Brm", "?shares=-1")) {
        HttpResponse<String> r =
            server.http("POST", "/v1/root-key/rotate" + query, token(data), null);
        assertThat(r.statusCode()).as(query + ": " + r.body()).isEqualTo(400);
        assertThat(r.body()).startsWith("{\"error\":{");
      }
      assertThat(
              server
                  .http("POST", "/v1/root-key/confirm", token(data), "{\"shares\": [1]}")
                  .statusCode())
          .isEqualTo(400);
      assertThatThrownBy(() -> root.confirmRootKey(oldShares.subList(0, 3)))
          .isInstanceOf(dev.keyturn.client.KeyturnConflictException.class);
      assertThat(root.rootKey().state()).isEqualTo("idle");

      // An operator whose terminal died: the first shares are lost, and no harm done.
      RootKeyStatus lost = root.rotateRootKey(5);
      assertThat(lost.newShares()).hasSize(5);
      RootKeyStatus issued = root.rotateRootKey(5);
      assertThat(issued.state()).isEqualTo("awaiting-confirmation");
      assertThat(issued.threshold()).isEqualTo(3);
      assertThat(issued.from()).isEqualTo(oldId);
      assertThat(issued.to()).isNotEqualTo(lost.to()).isNotEqualTo(oldId);
      List<String> newShares = issued.newShares();
      assertThat(newShares).hasSize(5).allMatch(s -> s.matches("[1-5]-[0-9a-f]{88}"));
      RootKeyStatus shown = root.rootKey();
      assertThat(shown.newShares()).isEmpty();
      assertThat(shown.rootKeyId()).isEqualTo(oldId);
      assertThat(shown.toString()).doesNotContain(newShares.get(0).substring(2));
      assertThat(issued.toString()).doesNotContain(newShares.get(0).substring(2));
      // ssss-combine rebuilds the new key from every 3 of the 5, without Keyturn.
      for (List<String> three : subsets(newShares, 3)) {
        String line = ssssCombine(three);
        assertThat(RootKey.fromBase64(line).id()).isEqualTo(issued.to());
      }
      assertThatThrownBy(() -> root.confirmRootKey(lost.newShares().subList(0, 3)))
          .isInstanceOf(dev.keyturn.client.KeyturnInvalidRequestException.class);
      assertThatThrownBy(() -> root.confirmRootKey(newShares.subList(0, 2)))
          .isInstanceOf(dev.keyturn.client.KeyturnInvalidRequestException.class);
      assertThatThrownBy(() -> root.confirmRootKey(oldShares.subList(0, 3)))
          .isInstanceOf(dev.keyturn.client.KeyturnInvalidRequestException.class);
      assertThat(root.rootKey().state()).isEqualTo("awaiting-confirmation");

      RootKeyStatus begun =
          root.confirmRootKey(List.of(newShares.get(4), newShares.get(0), newShares.get(2)));
      assertThat(begun.newShares()).isEmpty();
      RootKeyStatus ended = RootKeyChecks.awaitEnd(root);
      assertThat(ended.state()).as(ended.note()).isEqualTo("idle");
      assertThat(ended.rootKeyId()).isEqualTo(issued.to());
      assertThat(ended.keyFile()).isEmpty();
      RootKeyChecks.assertAllRead(root, expected);
      assertThat(root.verifyAudit(Optional.empty()).ok()).isTrue();
      String audit =
          server.http("GET", "/v1/audit?since=2000-01-01T00:00:00Z", token(data), null).body();
      assertThat(audit)
          .contains("root-key.rotate.start")
          .contains("root-key.rotate.end")
          .contains("root-key.confirm");
      assertNoShareIn(audit, newShares, lost.newShares(), oldShares);
      assertThat(data)
          .isDirectoryNotContaining(p -> p.getFileName().toString().startsWith("root.key"));
      server.kill();
      logs.add(server.output().toString());
      RootKeyChecks.assertWrappedBy(url, issued.to());

      // Restarted: the old key's shares no longer open it; the new ones do.
      server = ChildServer.start(data, SEALED);
      for (String share : oldShares) {
        assertThat(server.client().unseal(share).sealed()).isTrue();
      }
      unsealWith(server, newShares.subList(1, 4));
      RootKeyChecks.assertAllRead(server.client(), expected);
      assertThat(server.client().verifyAudit(Optional.empty()).ok()).isTrue();
    } finally {
      server.kill();
      logs.add(server.output().toString());
    }
    for (String log : logs) {
      assertThat(log).doesNotContain(CANARY);
      assertNoShareIn(log, oldShares);
    }
  }

  @Test
  void sigkillAtRandomMomentsOfShareHeldRotations_eitherKeysSharesUnseal_andTheRotationResumes()
      throws Exception {
    Path data = dir.resolve("data");
    String url = "jdbc:sqlite:" + data.resolve("keyturn.db");
    Map<String, String> expected = new ConcurrentHashMap<>();
    List<String> shares = fillAndSplit(data, 600, expected);
    ChildServer server = ChildServer.start(data, SEALED);
    unsealWith(server, shares.subList(0, 3));

    // One rotation unharmed, to learn how long one takes here.
    long began = System.nanoTime();
    shares = rotate(server.client());
    assertThat(RootKeyChecks.awaitEnd(server.client()).state()).isEqualTo("idle");
    long millis = Math.max(50, (System.nanoTime() - began) / 1_000_000);

    int killedWhileRotating = 0;
    int openedWithOld = 0;
    int openedWithNew = 0;
    List<String> previous = shares;
    for (int round = 0; round < 6; round++) {
      WireClient c = server.client();
      List<String> next = shares;
      if (!c.rootKey().state().equals("rotating")) {
        previous = shares;
        next = rotate(c);
      }
      // The first two kills come right after the confirmation, before the rewrap of 600
      // secrets can end, so some kill surely hits a running rotation; the others come at random
      // moments, after a write made during the rotation.
      if (round >= 2) {
        c.put("crash/during" + round, new PutSecretRequest("v-during", null, null, null, null));
        expected.put("crash/during" + round, "v-during");
        Thread.sleep(ThreadLocalRandom.current().nextLong(0, millis + millis / 4));
      }
      boolean rotating = c.rootKey().state().equals("rotating");
      server.kill();
      server = ChildServer.start(data, SEALED);
      // The new key's shares always open: the rotation is recorded (both keys open) or ended.
      // The old key's shares open only while it is recorded.
      if (rotating && round % 2 == 0 && opens(server, previous.subList(2, 5))) {
        openedWithOld++;
      } else {
        unsealWith(server, next.subList(2, 5));
        if (rotating && server.client().rootKey().state().equals("rotating")) {
          openedWithNew++;
        }
      }
      if (rotating) {
        killedWhileRotating++;
      }
      shares = next;
    }

    WireClient after = server.client();
    RootKeyStatus last = RootKeyChecks.awaitEnd(after);
    assertThat(last.state()).as(last.note()).isEqualTo("idle");
    assertThat(killedWhileRotating).as("kills that hit a running rotation").isPositive();
    assertThat(openedWithOld + openedWithNew)
        .as("restarts mid-rotation unsealed by the old key's shares or the new one's")
        .isPositive();
    RootKeyChecks.assertAllRead(after, expected);
    assertThat(after.verifyAudit(Optional.empty()).ok()).isTrue();
    assertThat(last.rootKeyId()).isEqualTo(RootKey.fromShares(shares.subList(0, 3)).id());
    server.kill();
    RootKeyChecks.assertWrappedBy(url, last.rootKeyId());
    server = ChildServer.start(data, SEALED);
    try {
      assertThat(opens(server, previous.subList(0, 3))).isFalse();
      unsealWith(server, shares.subList(0, 3));
      RootKeyChecks.assertAllRead(server.client(), expected);
    } finally {
      server.kill();
    }
  }

  /** Makes new shares and confirms them; returns them. */
  private static List<String> rotate(WireClient root) {
    List<String> shares = root.rotateRootKey(5).newShares();
    root.confirmRootKey(shares.subList(1, 4));
    return shares;
  }

  /** Submits {@code shares}; whether the server opened. */
  private static boolean opens(ChildServer server, List<String> shares) {
    boolean sealed = true;
    for (String share : shares) {
      sealed = server.client().unseal(share).sealed();
    }
    return !sealed;
  }

  /** Fills a fresh server with secrets, stops it, splits its key 5/3 and deletes the key file. */
  private List<String> fillAndSplit(Path data, int count, Map<String, String> expected)
      throws Exception {
    ChildServer first = ChildServer.start(data);
    try {
      RootKeyChecks.fill(first.client(), "crash/", count, expected);
      first.client().put("app/canary", new PutSecretRequest(CANARY, null, null, null, null));
      expected.put("app/canary", CANARY);
    } finally {
      first.kill();
    }
    RootKey key = RootKey.fromBase64(Files.readString(data.resolve("root.key")));
    List<String> shares = key.split(5, 3, new SecureRandom());
    key.destroy();
    Files.delete(data.resolve("root.key"));
    return shares;
  }

  private static void unsealWith(ChildServer server, List<String> shares) {
    assertThat(opens(server, shares)).as("open after " + shares.size() + " shares").isTrue();
  }

  @SafeVarargs
  private static void assertNoShareIn(String text, List<String>... shares) {
    for (List<String> list : shares) {
      for (String share : list) {
        assertThat(text).doesNotContain(share.substring(2, 40));
      }
    }
  }

  private static String token(Path data) throws IOException {
    return Files.readString(data.resolve("root.token")).strip();
  }

  private static List<List<String>> subsets(List<String> all, int k) {
    List<List<String>> out = new ArrayList<>();
    int n = all.size();
    for (int mask = 0; mask < 1 << n; mask++) {
      if (Integer.bitCount(mask) == k) {
        List<String> subset = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          if ((mask & 1 << i) != 0) {
            subset.add(all.get(i));
          }
        }
        out.add(subset);
      }
    }
    return out;
  }

  /** {@code ssss-combine -Q -t 3} (Debian's ssss): the key's file line, printed on stderr. */
  private static String ssssCombine(List<String> shares) throws Exception {
    Process p;
    try {
      p =
          new ProcessBuilder("ssss-combine", "-Q", "-t", Integer.toString(shares.size()))
              .redirectErrorStream(true)
              .start();
    } catch (IOException e) {
      TestServices.unavailable("ssss-combine (package ssss)", e);
      throw new AssertionError("unreachable");
    }
    p.getOutputStream()
        .write((String.join("\n", shares) + "\n").getBytes(StandardCharsets.US_ASCII));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out.strip();
  }
}
