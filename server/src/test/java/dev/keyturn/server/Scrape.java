package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** One {@code GET /metrics} answer, parsed: each sample line's series and value. */
record Scrape(String text, Map<String, Double> samples) {

  static Scrape of(RunningServer server) {
    RunningServer.Raw r = server.raw("GET", "/metrics", null, null);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.headers()).containsIgnoringCase("content-type: text/plain; version=0.0.4");
    return parse(r.body());
  }

  static Scrape parse(String text) {
    Map<String, Double> samples = new HashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int split = line.lastIndexOf(' ');
      samples.put(line.substring(0, split), Double.parseDouble(line.substring(split + 1)));
    }
    return new Scrape(text, samples);
  }

  /** The value of {@code series} ({@code name} or {@code name{label="v",...}}); fails if absent. */
  double value(String series) {
    Double v = samples.get(series);
    assertThat(v).as(series + " in the scrape").isNotNull();
    return v;
  }

  /** Every metric name in the scrape. */
  Set<String> names() {
    Set<String> names = new TreeSet<>();
    for (String series : samples.keySet()) {
      int brace = series.indexOf('{');
      names.add(brace < 0 ? series : series.substring(0, brace));
    }
    return names;
  }
}
