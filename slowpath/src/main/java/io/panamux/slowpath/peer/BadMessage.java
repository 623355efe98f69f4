package io.panamux.slowpath.peer;

/**
 * Why a peer datagram was dropped, in the order the checks run ({@link PeerMessageDescriptor}); each is
 * counted and nothing of the message is used.
 */
public enum BadMessage
{
    /** Shorter than a header and a tag, or longer than any message. */
    TRUNCATED("truncated"),
    /** Not this protocol. */
    BAD_MAGIC("bad_magic"),
    /** A version this MUX does not speak. */
    UNKNOWN_VERSION("unknown_version"),
    /** The HMAC tag does not verify with the pool's key. */
    BAD_TAG("bad_tag"),
    /** The (authenticated) sender is not a member of the pool, or is this MUX. */
    UNKNOWN_SENDER("unknown_sender"),
    /** Addressed to another member. */
    WRONG_RECIPIENT("wrong_recipient"),
    /**
     * Timestamp further than the allowed age from this MUX's clock, or earlier than this MUX's start (its
     * replay windows are that young: an older message may have been captured and replayed).
     */
    STALE("stale"),
    /** A sequence number seen before, or older than the replay window. */
    REPLAYED("replayed"),
    /** Authentic, but the type is unknown or the payload does not match it. */
    MALFORMED("malformed");

    private final String metricName;

    BadMessage(final String metricName)
    {
        this.metricName = metricName;
    }

    /** @return the name in stats output. */
    public String metricName()
    {
        return metricName;
    }
}
