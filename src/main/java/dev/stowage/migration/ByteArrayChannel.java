package dev.stowage.migration;

import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/** A read-only {@link SeekableByteChannel} over the first {@code length} bytes of an array (type detection of a buffered file). */
final class ByteArrayChannel implements SeekableByteChannel {
    private final byte[] bytes;
    private final int length;
    private int position;

    ByteArrayChannel(byte[] bytes, int length) {
        this.bytes = bytes;
        this.length = length;
    }

    @Override
    public int read(ByteBuffer dst) {
        if (position >= length) return -1;
        int n = Math.min(dst.remaining(), length - position);
        dst.put(bytes, position, n);
        position += n;
        return n;
    }

    @Override
    public int write(ByteBuffer src) {
        throw new NonWritableChannelException();
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public SeekableByteChannel position(long newPosition) {
        position = (int) Math.min(Math.max(0, newPosition), length);
        return this;
    }

    @Override
    public long size() {
        return length;
    }

    @Override
    public SeekableByteChannel truncate(long size) {
        throw new NonWritableChannelException();
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() {
        // nothing to release
    }
}
