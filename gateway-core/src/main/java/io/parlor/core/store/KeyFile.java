package io.parlor.core.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * A secret key in a file beside the store, for a node that has no {@code store.encryptionKey}:
 * random bytes, readable by the owner only (mode 600), made once and never replaced.
 */
public final class KeyFile {
  private KeyFile() {}

  /**
   * The key in {@code file}, made with {@code length} random bytes when it is missing and {@code
   * create} allows it. The key reaches the disk before it gets its name (a crash leaves no empty
   * key), and is linked into place, never replacing a key another process made first: both then
   * use that one.
   *
   * @throws IOException when the file cannot be read or made, is missing and may not be made, or
   *     does not hold {@code length} bytes
   */
  public static byte[] readOrCreate(Path file, int length, boolean create) throws IOException {
    if (!Files.exists(file)) {
      if (!create) {
        throw new IOException(file + " is missing");
      }
      byte[] key = new byte[length];
      new SecureRandom().nextBytes(key);
      Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName() + ".", ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try {
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
          ch.write(ByteBuffer.wrap(key));
          ch.force(true);
        }
        Files.createLink(file, tmp);
        syncDirectory(file);
      } catch (FileAlreadyExistsException raced) {
        // the other process's key is the one
      } finally {
        Arrays.fill(key, (byte) 0);
        Files.deleteIfExists(tmp);
      }
    }
    byte[] key = Files.readAllBytes(file);
    if (key.length != length) {
      Arrays.fill(key, (byte) 0);
      throw new IOException(file + ": not a key (" + length + " bytes expected)");
    }
    return key;
  }

  /**
   * Forces the directory of {@code file} to disk, so that a name just given (a link, a move)
   * survives a power loss along with what was committed after it. A file system that cannot
   * force a directory is left as it is.
   */
  public static void syncDirectory(Path file) {
    Path dir = file.toAbsolutePath().getParent();
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // (not every file system lets a directory be opened or forced)
    }
  }
}
