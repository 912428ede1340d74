package dev.keyturn.keyring;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Fernet tokens of 0 B to 10 KiB opened across both sides, Python {@code cryptography}'s {@code
 * Fernet} and {@code MultiFernet} against {@link FernetKeyring}, and tokens rotated by Keyturn
 * keeping their timestamps as Python reads them.
 */
class FernetPythonTest {
  private static final String SCRIPT =
      String.join(
          "\n",
          "import sys, json, base64",
          "from cryptography.fernet import Fernet, MultiFernet",
          "req = json.load(sys.stdin)",
          "cur, prev = Fernet(req['current']), Fernet(req['previous'])",
          "multi = MultiFernet([cur, prev])",
          "out = {'opened': [base64.b64encode(multi.decrypt(t)).decode() for t in req['tokens']],",
          "       'rotated_ts': [cur.extract_timestamp(t) for t in req['rotated']],",
          "       'rotated': [base64.b64encode(cur.decrypt(t)).decode() for t in req['rotated']],",
          "       'made': []}",
          "for i, p in enumerate(req['plain']):",
          "    f = prev if i % 2 else cur",
          "    out['made'].append(f.encrypt_at_time(base64.b64decode(p), req['time']).decode())",
          "print(json.dumps(out))");

  private static final int COUNT = 60;

  @Test
  void tokens_openAcrossPythonAndKeyturn_andRotationKeepsTimestamps() throws Exception {
    String python = ReferenceTools.pythonWithCryptography();
    SecureRandom secure = new SecureRandom();
    String previous = FernetKeyring.generateKey(secure);
    String current = FernetKeyring.generateKey(secure);
    Instant now = Instant.now();
    FernetKeyring ring =
        FernetKeyring.of(
            "t/F",
            List.of(
                KeyVersion.text(9, KeyStage.CURRENT, current),
                KeyVersion.text(8, KeyStage.PREVIOUS, previous)),
            Clock.fixed(now, ZoneOffset.UTC),
            secure);
    Instant old = now.minusSeconds(86_400 * 30);
    FernetKeyring before =
        FernetKeyring.of(
            "t/F",
            List.of(KeyVersion.text(8, KeyStage.CURRENT, previous)),
            Clock.fixed(old, ZoneOffset.UTC),
            secure);
    Random random = new Random(2026);
    List<byte[]> plain = new ArrayList<>();
    for (int i = 0; i < COUNT; i++) {
      int size = i == 0 ? 0 : i == 1 ? 10 * 1024 : i < 20 ? i : random.nextInt(10 * 1024 + 1);
      byte[] p = new byte[size];
      random.nextBytes(p);
      plain.add(p);
    }
    List<String> tokens = new ArrayList<>();
    List<String> rotated = new ArrayList<>();
    List<String> plainText = new ArrayList<>();
    for (byte[] p : plain) {
      tokens.add(ring.encrypt(p));
      rotated.add(ring.rotate(before.encrypt(p)));
      plainText.add(Base64.getEncoder().encodeToString(p));
    }
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("current", current);
    request.put("previous", previous);
    request.put("tokens", tokens);
    request.put("rotated", rotated);
    request.put("plain", plainText);
    request.put("time", now.getEpochSecond());

    ReferenceTools.Result r =
        ReferenceTools.run(
            List.of(python, "-c", SCRIPT),
            JSONObjectUtils.toJSONString(request).getBytes(StandardCharsets.UTF_8));

    assertThat(r.exit()).as(r.err()).isZero();
    Map<String, Object> out = JSONObjectUtils.parse(r.text());
    List<Object> opened = JSONObjectUtils.getJSONArray(out, "opened");
    List<Object> rotatedPlain = JSONObjectUtils.getJSONArray(out, "rotated");
    List<Object> rotatedTs = JSONObjectUtils.getJSONArray(out, "rotated_ts");
    List<Object> made = JSONObjectUtils.getJSONArray(out, "made");
    for (int i = 0; i < COUNT; i++) {
      assertThat(opened.get(i))
          .as("Keyturn token %d opened by Python", i)
          .isEqualTo(plainText.get(i));
      assertThat(rotatedPlain.get(i)).isEqualTo(plainText.get(i));
      assertThat(((Number) rotatedTs.get(i)).longValue()).isEqualTo(old.getEpochSecond());
      String token = (String) made.get(i);
      assertThat(ring.decrypt(token))
          .as("Python token %d opened by Keyturn", i)
          .isEqualTo(plain.get(i));
      assertThat(ring.versionOf(token).version()).isEqualTo(i % 2 == 0 ? 9 : 8);
    }
  }
}
