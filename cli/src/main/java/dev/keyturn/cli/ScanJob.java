package dev.keyturn.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One scan: files (or git blobs) read whole, on {@code threads} threads, each looked through for
 * the managed values of a {@link ScanIndex} and, unless turned off, for the {@link ScanRules}
 * patterns. Files larger than a chunk are read in chunks that overlap by the longest string. Not
 * thread-safe itself; one per scan.
 */
final class ScanJob {
  /** The chunk when patterns are looked for too: they need their lines' context around a match. */
  private static final int CHUNK = 16 << 20;

  /**
   * The chunk when managed values alone are looked for: small enough that what a read copies stays
   * in the processor's cache for the matcher. Reads into a 1 MiB buffer spent a third of the
   * bench's CPU time in the kernel's copy, three times what 128 KiB reads do (docs/performance.md).
   */
  static final int MANAGED_CHUNK = 128 << 10;

  /** Patterns are found within this many bytes of a chunk's end in the next chunk too. */
  private static final int PATTERN_OVERLAP = 4096;

  /** One document to read: a file, or a git blob's bytes. */
  record Doc(String path, Optional<Path> file, byte[] bytes, String blob) {}

  /** Something not read, and why. */
  record Skipped(String path, String why) {}

  private final Optional<ScanIndex> index;
  private final boolean patterns;
  private final int threads;
  private final ConcurrentLinkedQueue<ScanFinding> findings = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Skipped> skipped = new ConcurrentLinkedQueue<>();
  final AtomicLong documents = new AtomicLong();
  final AtomicLong bytes = new AtomicLong();

  ScanJob(Optional<ScanIndex> index, boolean patterns, int threads) {
    this.index = index;
    this.patterns = patterns;
    this.threads = threads;
  }

  void skip(String path, String why) {
    skipped.add(new Skipped(path, why));
  }

  List<Skipped> skipped() {
    return skipped.stream().sorted(Comparator.comparing(Skipped::path)).toList();
  }

  List<ScanFinding> findings() {
    return findings.stream()
        .sorted(
            Comparator.comparing(ScanFinding::path)
                .thenComparing(f -> f.commit() == null ? "" : f.commit())
                .thenComparingLong(ScanFinding::offset)
                .thenComparing(ScanFinding::rule)
                .thenComparing(f -> f.secret() == null ? "" : f.secret()))
        .toList();
  }

  /** Puts {@code all} in place of the findings so far. */
  void replace(List<ScanFinding> all) {
    findings.clear();
    findings.addAll(all);
  }

  void add(ScanFinding finding) {
    findings.add(finding);
  }

  /**
   * Runs {@code work} on every thread with a {@link Worker} of its own; {@code work} takes the
   * worker and the thread's number.
   */
  void run(java.util.function.BiConsumer<Worker, Integer> work) {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int number = t;
        running.add(pool.submit(() -> work.accept(new Worker(), number)));
      }
      for (Future<?> f : running) {
        f.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("the scan was interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  /** One thread's matcher and buffer. */
  final class Worker {
    private final Optional<ScanMatcher> matcher = index.map(ScanMatcher::new);
    private ByteBuffer buffer = ByteBuffer.allocateDirect(0);

    /** Reads {@code doc} and records what it holds. */
    void read(Doc doc) {
      try {
        List<long[]> hits =
            doc.file().isPresent() ? readFile(doc.file().get()) : readBytes(doc.bytes());
        documents.incrementAndGet();
        if (!hits.isEmpty()) {
          record(doc, hits);
        }
      } catch (IOException | UncheckedIOException e) {
        skip(doc.path(), "unreadable");
      }
    }

    private List<long[]> readBytes(byte[] content) {
      Set<Long> seen = new HashSet<>();
      List<long[]> out = new ArrayList<>();
      look(ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN), content.length, 0, seen, out);
      bytes.addAndGet(content.length);
      return out;
    }

    private List<long[]> readFile(Path file) throws IOException {
      Set<Long> seen = new HashSet<>();
      List<long[]> out = new ArrayList<>();
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
        long size = channel.size();
        int overlap = Math.max(index.map(i -> i.longest).orElse(0), patterns ? PATTERN_OVERLAP : 0);
        int chunk = Math.max(patterns ? CHUNK : MANAGED_CHUNK, 4 * overlap);
        int want = (int) Math.min(chunk, size);
        if (buffer.capacity() < want) {
          buffer = ByteBuffer.allocateDirect(want).order(ByteOrder.LITTLE_ENDIAN);
        }
        long pos = 0;
        while (true) {
          buffer.clear().limit((int) Math.min(chunk, Math.max(0, size - pos)));
          while (buffer.hasRemaining()) {
            if (channel.read(buffer, pos + buffer.position()) < 0) {
              break;
            }
          }
          int n = buffer.position();
          look(buffer, n, pos, seen, out);
          bytes.addAndGet(pos == 0 ? n : n - overlap);
          if (pos + n >= size || n < buffer.limit() || n <= overlap) {
            break;
          }
          pos += n - overlap;
        }
      }
      return out;
    }

    /** Adds {@code [kind, index, offset]}: kind 0 a managed string, 1 a pattern. */
    private void look(ByteBuffer buf, int n, long base, Set<Long> seen, List<long[]> out) {
      matcher.ifPresent(m ->
          m.scan(
              buf,
              n,
              base,
              (target, offset) -> {
                if (seen.add(offset * 1_000_003L + target)) {
                  out.add(new long[] {0, target, offset});
                }
              }));
      if (patterns) {
        byte[] copy = new byte[n];
        buf.get(0, copy, 0, n);
        String text = new String(copy, StandardCharsets.ISO_8859_1);
        ScanRules.find(
            text,
            (rule, at) -> {
              if (seen.add(-((base + at) * 64 + rule) - 1)) {
                out.add(new long[] {1, rule, base + at});
              }
            });
      }
    }

    private void record(Doc doc, List<long[]> hits) throws IOException {
      hits.sort(Comparator.comparingLong(h -> h[2]));
      long[] offsets = hits.stream().mapToLong(h -> h[2]).toArray();
      int[][] places;
      try (InputStream in =
          doc.file().isPresent()
              ? new java.io.BufferedInputStream(Files.newInputStream(doc.file().get()), 1 << 16)
              : new ByteArrayInputStream(doc.bytes())) {
        places = locate(in, offsets);
      }
      for (int h = 0; h < hits.size(); h++) {
        long[] hit = hits.get(h);
        ScanFinding f;
        if (hit[0] == 0) {
          ScanIndex.Target t = index.orElseThrow().targets.get((int) hit[1]);
          f =
              new ScanFinding(
                  ScanFinding.MANAGED,
                  "error",
                  t.name(),
                  t.version(),
                  t.stage(),
                  t.field(),
                  t.encoding(),
                  doc.path(),
                  hit[2],
                  places[h][0],
                  places[h][1],
                  null,
                  doc.blob());
        } else {
          f =
              new ScanFinding(
                  ScanRules.RULES.get((int) hit[1]).id(),
                  "warning",
                  null,
                  null,
                  null,
                  null,
                  null,
                  doc.path(),
                  hit[2],
                  places[h][0],
                  places[h][1],
                  null,
                  doc.blob());
        }
        add(f);
      }
    }
  }

  /**
   * The 1-based line and column (in code points: UTF-8 continuation bytes are not counted) of each
   * offset, which must be in ascending order.
   */
  static int[][] locate(InputStream in, long[] offsets) throws IOException {
    int[][] out = new int[offsets.length][];
    int line = 1;
    int column = 1;
    long pos = 0;
    int next = 0;
    byte[] chunk = new byte[1 << 16];
    int n;
    while (next < offsets.length && (n = in.read(chunk)) > 0) {
      for (int i = 0; i < n && next < offsets.length; i++, pos++) {
        while (next < offsets.length && offsets[next] == pos) {
          out[next++] = new int[] {line, column};
        }
        byte b = chunk[i];
        if (b == '\n') {
          line++;
          column = 1;
        } else if ((b & 0xC0) != 0x80) {
          column++;
        }
      }
    }
    while (next < offsets.length) {
      out[next++] = new int[] {line, column};
    }
    return out;
  }
}
