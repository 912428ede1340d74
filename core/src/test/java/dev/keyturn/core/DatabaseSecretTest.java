package dev.keyturn.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The database secret's JSON form, its URLs, and its refusals (which never quote the value). */
class DatabaseSecretTest {
  private static final String CANARY = "canary-db-5150";

  private static DatabaseSecret parse(String json) {
    return DatabaseSecret.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void rendersPercentEncodedUrls_andKeepsExtraFields() {
    DatabaseSecret s =
        parse(
            "{\"engine\":\"postgres\",\"host\":\"db.internal\",\"port\":5432,\"dbname\":\"leather"
                + " api\",\"username\":\"app@corp\",\"password\":\"p@ss:w/rd?#% +~\","
                + "\"sslmode\":\"require\"}");

    assertThat(s.engine()).isEqualTo("postgresql");
    assertThat(s.url())
        .isEqualTo(
            "postgresql://app%40corp:p%40ss%3Aw%2Frd%3F%23%25%20%2B~@db.internal:5432/leather%20api");
    assertThat(s.jdbcUrl())
        .isEqualTo(
            "jdbc:postgresql://db.internal:5432/leather%20api?user=app%40corp"
                + "&password=p%40ss%3Aw%2Frd%3F%23%25%20%2B~");
    assertThat(java.net.URI.create(s.url()).getUserInfo()).isEqualTo("app@corp:p@ss:w/rd?#% +~");
    assertThat(s.extra("sslmode")).contains("require");
    assertThat(new String(s.with("app_b", "new").toJson(), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"engine\":\"postgresql\",\"host\":\"db.internal\",\"port\":5432,\"dbname\":\"leather"
                + " api\",\"username\":\"app_b\",\"password\":\"new\",\"sslmode\":\"require\"}");
  }

  @Test
  void mysqlAndRedisUrls_andIpv6Hosts() {
    assertThat(
            parse(
                    "{\"engine\":\"mysql\",\"host\":\"::1\",\"port\":3306,\"dbname\":\"app\","
                        + "\"username\":\"u\",\"password\":\"p\"}")
                .url())
        .isEqualTo("mysql://u:p@[::1]:3306/app");
    DatabaseSecret redis =
        parse(
            "{\"engine\":\"redis\",\"host\":\"cache\",\"port\":6379,\"username\":\"u\","
                + "\"password\":\"p\"}");
    assertThat(redis.url()).isEqualTo("redis://u:p@cache:6379");
    assertThatThrownBy(redis::jdbcUrl).hasMessageContaining("no JDBC URL");
  }

  @Test
  void refusesWhatIsNotADatabaseSecret_withoutQuotingIt() {
    String base = "\"host\":\"h\",\"port\":1,\"dbname\":\"d\",\"username\":\"u\"";
    String[] bad = {
      CANARY,
      "[\"" + CANARY + "\"]",
      "{\"engine\":\"" + CANARY + "\"," + base + ",\"password\":\"x\"}",
      "{\"engine\":\"postgresql\"," + base + "}",
      "{\"engine\":\"postgresql\"," + base.replace("1", "\"" + CANARY + "\"") + ",\"password\":1}",
      "{\"engine\":\"postgresql\"," + base.replace("1", "70000") + ",\"password\":\"x\"}",
      "{\"engine\":\"postgresql\"," + base.replace("\"h\"", "\"a b/" + CANARY + "\"") + "}",
      "{\"engine\":\"postgresql\"," + base + ",\"password\":[\"" + CANARY + "\"]}",
    };
    for (String json : bad) {
      assertThatThrownBy(() -> parse(json))
          .as(json)
          .isInstanceOf(DatabaseSecret.Invalid.class)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(CANARY));
    }
  }

  @Test
  void extraFieldsOfEveryShape_andEscapes_surviveAChangeOfUser() {
    String stored =
        "{\"engine\":\"postgresql\",\"host\":\"h\",\"port\":5432,\"dbname\":\"d\","
            + "\"username\":\"u\",\"password\":\"p\\\"\\u00e9\\n\",\"sslmode\":\"verify-full\","
            + "\"options\":{\"a\":[1,2.50,null,true]},\"timeout\":30}";

    DatabaseSecret s = parse(stored).with("u2", "q\"é\n");

    assertThat(new String(s.toJson(), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"engine\":\"postgresql\",\"host\":\"h\",\"port\":5432,\"dbname\":\"d\","
                + "\"username\":\"u2\",\"password\":\"q\\\"é\\n\",\"sslmode\":\"verify-full\","
                + "\"options\":{\"a\":[1,2.50,null,true]},\"timeout\":30}");
    assertThat(parse(stored).password()).isEqualTo("p\"é\n");
    assertThat(s.extra("options")).contains("{\"a\":[1,2.50,null,true]}");
    assertThat(s.extra("timeout")).contains("30");
    assertThat(s.extra("missing")).isEmpty();
  }

  @Test
  void toString_neverShowsThePassword() {
    DatabaseSecret s =
        parse(
            "{\"engine\":\"postgresql\",\"host\":\"h\",\"port\":5432,\"dbname\":\"d\","
                + "\"username\":\"u\",\"password\":\""
                + CANARY
                + "\"}");
    assertThat(s.toString()).doesNotContain(CANARY).contains("redacted");
  }
}
