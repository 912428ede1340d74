package dev.keyturn.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The dashboard's static files, from the jar: its style sheet, its small script, and htmx (from the
 * {@code org.webjars.npm:htmx.org} jar; never a CDN). Read once at class load. Anyone may fetch
 * them: they hold nothing secret.
 */
final class UiStatic {
  static final String PREFIX = "/ui/static/";
  static final String HTMX = "META-INF/resources/webjars/htmx.org/2.0.4/dist/htmx.min.js";

  private record File(byte[] bytes, String type) {}

  private static final Map<String, File> FILES =
      Map.of(
          "ui.css", new File(read("dev/keyturn/server/ui/ui.css"), "text/css; charset=utf-8"),
          "ui.js", new File(read("dev/keyturn/server/ui/ui.js"), "text/javascript; charset=utf-8"),
          "htmx.min.js", new File(read(HTMX), "text/javascript; charset=utf-8"));

  private UiStatic() {}

  static void serve(String path, String method, Response response, Callback callback) {
    File file = FILES.get(path.substring(PREFIX.length()));
    if (file == null || !(method.equals("GET") || method.equals("HEAD"))) {
      response.setStatus(404);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
      response.write(true, ByteBuffer.wrap("not found\n".getBytes()), callback);
      return;
    }
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, file.type());
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "public, max-age=3600");
    response.write(
        true, ByteBuffer.wrap(method.equals("HEAD") ? new byte[0] : file.bytes()), callback);
  }

  private static byte[] read(String resource) {
    try (InputStream in = UiStatic.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("the dashboard file " + resource + " is missing");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
