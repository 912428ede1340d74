package dev.keyturn.cli;

import com.google.zxing.BarcodeFormat;
import com.google.zxing.EncodeHintType;
import com.google.zxing.WriterException;
import com.google.zxing.client.j2se.MatrixToImageWriter;
import com.google.zxing.common.BitMatrix;
import com.google.zxing.qrcode.QRCodeWriter;
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;
import dev.keyturn.core.KeyturnException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes each share as a PNG QR code ({@code share-I.png}, I as the share prints it), holding the
 * share's text exactly, for printing and for {@code zbarimg} to read back. All or nothing: the
 * files are checked absent first, and those written are removed if a later one fails.
 */
final class ShareQrCodes {
  private static final int SIZE = 400;

  private ShareQrCodes() {}

  static void write(Path dir, List<String> shares) {
    try {
      if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectories(
            dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } else if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        throw new KeyturnException.InvalidInput("--qr " + dir + " is not a folder");
      }
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput("cannot make " + dir + ": " + e.getMessage());
    }
    List<Path> files = new ArrayList<>();
    for (String share : shares) {
      Path file = dir.resolve("share-" + share.substring(0, share.indexOf('-')) + ".png");
      if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
        throw new KeyturnException.InvalidInput(
            file + " already exists; Keyturn does not overwrite shares");
      }
      files.add(file);
    }
    List<Path> written = new ArrayList<>();
    try {
      for (int i = 0; i < shares.size(); i++) {
        writeOne(files.get(i), shares.get(i));
        written.add(files.get(i));
      }
    } catch (IOException | WriterException | RuntimeException e) {
      for (Path file : written) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException ignored) {
          // Reported below with the first failure; nothing more to do here.
        }
      }
      throw new KeyturnException.InvalidInput(
          "cannot write the QR codes in " + dir + ": " + e.getClass().getSimpleName());
    }
  }

  private static void writeOne(Path file, String share) throws IOException, WriterException {
    BitMatrix matrix =
        new QRCodeWriter()
            .encode(
                share,
                BarcodeFormat.QR_CODE,
                SIZE,
                SIZE,
                Map.of(EncodeHintType.ERROR_CORRECTION, ErrorCorrectionLevel.M));
    try (FileChannel channel =
            FileChannel.open(
                file,
                Set.of(
                    StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-------")));
        OutputStream out = Channels.newOutputStream(channel)) {
      MatrixToImageWriter.writeToStream(matrix, "png", out);
      out.flush();
      channel.force(true);
    }
  }
}
