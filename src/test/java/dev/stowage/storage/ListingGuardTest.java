package dev.stowage.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** {@link ListingGuard}: one rule each — markers advance, pages do not repeat, counts stay within the protocol. */
class ListingGuardTest {
    private static List<String> keys(String... k) {
        return List.of(k);
    }

    @Test
    void aWellBehavedListingPasses() {
        var g = ListingGuard.of("ListObjectsV2", "raw", "staging/", Long.MAX_VALUE);
        g.page(null, keys("a", "b"), true, "t1");
        g.page("t1", keys("c", "d"), true, "t2");
        g.page("t2", keys("e"), false, null);
        assertThat(g.pages()).isEqualTo(3);
        assertThat(g.entries()).isEqualTo(5);
    }

    @Test
    void aMarkerThatDoesNotAdvanceStopsTheListing() {
        var g = ListingGuard.of("ListObjectsV2", "raw", "staging/", Long.MAX_VALUE);
        g.page(null, keys("a"), true, "t1");
        assertThatThrownBy(() -> g.page("t1", keys("b"), true, "t1"))
                .isInstanceOf(InvalidListingException.class)
                .hasMessageContaining("ListObjectsV2 of bucket raw, key staging/")
                .hasMessageContaining("does not advance (the marker just sent)");
    }

    @Test
    void aMarkerSentBeforeStopsTheListing() {
        var g = ListingGuard.of("ListMultipartUploads", "raw", null, Long.MAX_VALUE);
        g.page(null, keys("a"), true, "t1");
        g.page("t1", keys("b"), true, "t2");
        assertThatThrownBy(() -> g.page("t2", keys("c"), true, "t1"))
                .isInstanceOf(InvalidListingException.class)
                .hasMessageContaining("ListMultipartUploads of bucket raw stopped")
                .hasMessageContaining("(a marker sent before)");
    }

    @Test
    void aTruncatedPageWithoutANextMarkerStopsTheListing() {
        var g = ListingGuard.of("ListObjectVersions", "raw", null, Long.MAX_VALUE);
        assertThatThrownBy(() -> g.page(null, keys("a"), true, null)).isInstanceOf(InvalidListingException.class)
                .hasMessageContaining("gives no next marker");
    }

    @Test
    void aRepeatedPageStopsTheListingEvenWithFreshMarkers() {
        var g = ListingGuard.of("ListObjectsV2", "raw", null, Long.MAX_VALUE);
        g.page(null, keys("a", "b"), true, "t1");
        assertThatThrownBy(() -> g.page("t1", keys("a", "b"), true, "t2")).isInstanceOf(InvalidListingException.class)
                .hasMessageContaining("page 2 repeats an earlier page");
    }

    @Test
    void emptyPagesWithAdvancingMarkersAreNotRepeats() {
        var g = ListingGuard.of("ListObjectsV2", "raw", null, Long.MAX_VALUE);
        g.page(null, keys(), true, "t1");
        g.page("t1", keys(), true, "t2");
        g.page("t2", keys("a"), false, null);
        assertThat(g.pages()).isEqualTo(3);
    }

    @Test
    void aPageOverTheProtocolsPageLimitStopsTheListing() {
        var g = ListingGuard.of("ListObjectsV2", "raw", null, Long.MAX_VALUE);
        List<String> many = IntStream.range(0, ListingGuard.MAX_PAGE_ENTRIES + 1).mapToObj(i -> "k" + i).toList();
        assertThatThrownBy(() -> g.page(null, many, false, null)).isInstanceOf(InvalidListingException.class)
                .hasMessageContaining("a page of 1001 entries, more than the protocol's 1000");
    }

    @Test
    void moreThanTenThousandPartsStopTheListing() {
        var g = ListingGuard.parts("raw", "staging/u/f/a.bin");
        // distinct part numbers cannot exceed 10,000, so a store must repeat numbers to get there: the count rule
        // is checked on the generic page (entries beyond the listing's limit)
        var counted = ListingGuard.of("ListParts", "raw", "staging/u/f/a.bin", ListingGuard.MAX_PARTS);
        List<String> page = new ArrayList<>();
        for (int p = 0; p < 11; p++) {
            List<String> ids = IntStream.range(0, 1000).mapToObj(i -> "x" + i + "-" + page.size()).toList();
            page.add("p");
            if (p < 10) counted.page(p == 0 ? null : "m" + p, ids, true, "m" + (p + 1));
            else assertThatThrownBy(() -> counted.page("m10", ids, true, "m11")).isInstanceOf(InvalidListingException.class)
                    .hasMessageContaining("11000 entries after 11 pages, more than the protocol's 10000");
        }
        g.partsPage(null, List.of(1, 2, 3), false, null);
        assertThat(g.entries()).isEqualTo(3);
    }

    @Test
    void aPartNumberMarkerThatDoesNotAdvanceStopsListParts() {
        var g = ListingGuard.parts("raw", "staging/u/f/a.bin");
        // the page a store answers when it ignores part-number-marker: NextPartNumberMarker=0, truncated
        assertThatThrownBy(() -> g.partsPage(null, List.of(1, 2, 3), true, 0)).isInstanceOf(InvalidListingException.class)
                .hasMessageContaining("ListParts of bucket raw, key staging/u/f/a.bin stopped")
                .hasMessageContaining("next part-number marker 0 does not advance past 0");
        var h = ListingGuard.parts("raw", "k");
        h.partsPage(null, List.of(1, 2, 3), true, 3);
        // the same page again, for marker 3
        assertThatThrownBy(() -> h.partsPage(3, List.of(1, 2, 3), true, 3)).isInstanceOf(InvalidListingException.class)
                .hasMessageContaining("lists part 1, outside 4..10000");
    }

    @Test
    void partNumbersBeyondTenThousandStopListParts() {
        var g = ListingGuard.parts("raw", "k");
        assertThatThrownBy(() -> g.partsPage(null, List.of(1, 10_001), false, null)).isInstanceOf(InvalidListingException.class)
                .hasMessageContaining("lists part 10001, outside 1..10000");
    }

    @Test
    void anInvalidListingIsNoOutage() {
        var e = new InvalidListingException("ListParts", "raw", "k", "x");
        assertThat(e.unavailable()).isFalse();
        assertThat(e.listing()).isEqualTo("ListParts");
        assertThat(e.bucket()).isEqualTo("raw");
        assertThat(e.key()).isEqualTo("k");
    }
}
