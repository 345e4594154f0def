package dev.stowage.migration;

import java.util.List;

/**
 * One entry of a legacy tree, as the walk found it, with its outcome decided where the walk can decide
 * it ({@code skipped} entries) or {@code pending} for a regular file to copy.
 *
 * @param path     raw bytes relative to the tree's root
 * @param display  the same as text
 * @param kind     {@code file}, {@code directory}, {@code symlink}, {@code fifo}, {@code char_device},
 *                 {@code block_device}, {@code socket} or {@code other}
 * @param userId   the owner (the first segment), or {@code null} for entries outside a user's folder
 * @param folders  folder names between the user's folder and the file, as text
 * @param name     the file's name as text
 * @param size     bytes (regular files), else 0
 * @param mtimeNs  modification time, nanoseconds since the epoch
 * @param state    {@code pending} (a regular file to copy), {@code skipped} or {@code failed}
 * @param outcome  stable code for skipped and failed entries, {@code null} for pending ones
 * @param note     notes about a file to copy ({@code hard_link}, {@code name_not_utf8}, {@code name_nfd},
 *                 {@code nested}), comma-separated, or {@code null}; for skipped entries the detail
 */
public record Entry(byte[] path, String display, String kind, String userId, List<String> folders, String name,
                    long size, long mtimeNs, String state, String outcome, String note) {

    /** Whether this is a regular file to copy. */
    public boolean isFile() {
        return kind.equals("file") && state.equals("pending");
    }
}
