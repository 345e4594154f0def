package dev.stowage.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The one decision of what a download serves ({@link Delivery#of}). */
class DeliveryTest {

    static FileRecord file(String type, String variantsStatus, String variantsReasonCode) {
        return new FileRecord(UUID.randomUUID(), "ann", "x", "x", type, type, 10, 10L, null, "0".repeat(64), "raw", "ann/id/x",
                FileStatus.READY, "clean", null, null, null, "upload", Instant.EPOCH, Instant.EPOCH, Instant.EPOCH, null,
                variantsStatus, variantsReasonCode, variantsReasonCode == null ? null : "why");
    }

    @Test
    void anImageWithAStrippedOriginalIsServedAsItInline() {
        for (String status : new String[] {"ready", "failed", "pending"}) {
            Delivery d = Delivery.of(file("image/jpeg", status, status.equals("failed") ? "corrupt_image" : null), true);
            assertThat(d).as(status).isEqualTo(new Delivery(Delivery.ServedAs.STRIPPED, true, null));
        }
    }

    @Test
    void anImageWithoutOneIsAnAttachmentThatSaysWhy() {
        assertThat(Delivery.of(file("image/heic", "failed", "unsupported_image"), false))
                .isEqualTo(new Delivery(Delivery.ServedAs.ATTACHMENT, false, "unsupported_image"));
        assertThat(Delivery.of(file("image/png", "failed", "corrupt_image"), false))
                .isEqualTo(new Delivery(Delivery.ServedAs.ATTACHMENT, false, "corrupt_image"));
        assertThat(Delivery.of(file("image/png", "failed", "too_many_pixels"), false).inline()).isFalse();
        assertThat(Delivery.of(file("image/webp", "pending", null), false))
                .isEqualTo(new Delivery(Delivery.ServedAs.ATTACHMENT, false, Delivery.NOT_YET_STRIPPED));
        assertThat(Delivery.of(file("image/gif", "ready", null), false).servedAs()).isEqualTo(Delivery.ServedAs.ATTACHMENT);
    }

    @Test
    void otherFilesAreServedAsUploadedInlineOnlyForPdfAndText() {
        assertThat(Delivery.of(file("application/pdf", "none", null), false)).isEqualTo(new Delivery(Delivery.ServedAs.UPLOAD, true, null));
        assertThat(Delivery.of(file("text/plain", "none", null), false).inline()).isTrue();
        assertThat(Delivery.of(file("application/zip", "none", null), false)).isEqualTo(new Delivery(Delivery.ServedAs.UPLOAD, false, null));
    }
}
