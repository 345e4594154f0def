package dev.stowage.files;

import java.time.Instant;
import java.util.UUID;

/**
 * A file copied by migration, as its row records it.
 *
 * @param id            the file id chosen when the entry was journalled
 * @param ownerId       the user (the legacy folder)
 * @param originalName  the name as text, as {@link dev.stowage.storage.FilenameSanitizer#displayName} gives it
 * @param originalNameBytes the name's exact raw bytes when {@code originalName} does not spell them (not UTF-8, NFD,
 *                          control characters), else {@code null}
 * @param safeName      the sanitised name
 * @param detectedType  the type detected from the bytes (also recorded as declared)
 * @param sizeBytes     the size
 * @param sha256        the SHA-256 (hex)
 * @param bucket        the raw bucket
 * @param objectKey     the key
 * @param status        {@code ready}, or {@code quarantined} when the scan found malware
 * @param scanResult    the scan result, or {@code null} when not scanned
 * @param scanSignature the malware found, or {@code null}
 * @param createdAt     the legacy file's modification time
 * @param variantsWanted whether it is an image whose variants are to be made
 */
public record Migrated(UUID id, String ownerId, String originalName, byte[] originalNameBytes, String safeName, String detectedType,
                       long sizeBytes, String sha256, String bucket, String objectKey, FileStatus status, String scanResult,
                       String scanSignature, Instant createdAt, boolean variantsWanted) {}
