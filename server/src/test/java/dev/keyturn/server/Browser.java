package dev.keyturn.server;

import java.io.IOException;
import java.net.CookieManager;
import java.net.HttpCookie;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A browser for dashboard tests: java.net.http with a cookie jar, redirects not followed (tests see
 * each 303), forms posted url-encoded with the page's CSRF token.
 */
final class Browser {
  private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");

  final CookieManager cookies = new CookieManager();
  private final HttpClient http;
  private final String base;
  String csrf = "";

  Browser(String base) {
    this.base = base;
    this.http =
        HttpClient.newBuilder()
            .cookieHandler(cookies)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  HttpResponse<String> get(String path) {
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    Matcher m = CSRF.matcher(r.body());
    if (m.find()) {
      csrf = m.group(1);
    }
    return r;
  }

  /** Posts {@code fields} and this browser's CSRF token (as the last page gave it). */
  HttpResponse<String> post(String path, Map<String, String> fields) {
    Map<String, String> all = new LinkedHashMap<>(fields);
    all.putIfAbsent("csrf", csrf);
    return postRaw(path, all);
  }

  /** Posts exactly {@code fields}. */
  HttpResponse<String> postRaw(String path, Map<String, String> fields) {
    String body =
        fields.entrySet().stream()
            .map(e -> enc(e.getKey()) + "=" + enc(e.getValue()))
            .collect(Collectors.joining("&"));
    return send(
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  /** Signs in with {@code token}; the answer is the 303 to the secrets page. */
  HttpResponse<String> signIn(String token) {
    return postRaw("/ui/sign-in", Map.of("token", token));
  }

  String session() {
    return cookies.getCookieStore().getCookies().stream()
        .filter(c -> c.getName().equals(UiHandler.COOKIE))
        .map(HttpCookie::getValue)
        .findFirst()
        .orElse("");
  }

  private HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
