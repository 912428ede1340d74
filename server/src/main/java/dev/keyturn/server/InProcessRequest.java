package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

/**
 * An API request that the dashboard makes in-process on behalf of a browser's request ({@link
 * ApiHandler#call}): the browser's connection (so the client address, TLS and proxies are judged as
 * for the browser), with the API route's method, path, query and JSON body. It carries no {@code
 * Authorization} header: the caller comes from the dashboard's session. Not thread-safe.
 */
final class InProcessRequest extends Request.Wrapper {
  private final String method;
  private final HttpURI uri;
  private final HttpFields headers;
  private final byte[] body;
  private boolean read;

  InProcessRequest(Request browser, String method, String path, String query, byte[] body) {
    super(browser);
    this.method = requireNonNull(method, "method");
    this.uri =
        HttpURI.build(browser.getHttpURI())
            .path(requireNonNull(path, "path"))
            .query(query == null || query.isEmpty() ? null : query)
            .asImmutable();
    this.body = body == null ? new byte[0] : body;
    HttpFields.Mutable fields = HttpFields.build(browser.getHeaders());
    fields.remove(HttpHeader.AUTHORIZATION);
    fields.remove(HttpHeader.CONTENT_TYPE);
    fields.remove(HttpHeader.CONTENT_LENGTH);
    fields.remove(HttpHeader.TRANSFER_ENCODING);
    fields.remove(RequestIds.HEADER);
    if (this.body.length > 0) {
      fields.put(HttpHeader.CONTENT_TYPE, "application/json");
      fields.put(HttpHeader.CONTENT_LENGTH, Integer.toString(this.body.length));
    }
    this.headers = fields.asImmutable();
  }

  @Override
  public String getMethod() {
    return method;
  }

  @Override
  public HttpURI getHttpURI() {
    return uri;
  }

  @Override
  public HttpFields getHeaders() {
    return headers;
  }

  @Override
  public long getLength() {
    return body.length;
  }

  @Override
  public Content.Chunk read() {
    if (read) {
      return Content.Chunk.EOF;
    }
    read = true;
    return Content.Chunk.from(ByteBuffer.wrap(body), true);
  }

  @Override
  public void demand(Runnable demandCallback) {
    demandCallback.run();
  }

  @Override
  public boolean consumeAvailable() {
    read = true;
    return true;
  }
}
