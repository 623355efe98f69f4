package io.panamux.slowpath.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.panamux.slowpath.control.ChangeRejectedException;

/**
 * The body of {@code POST /v1/backends/add|remove|drain|weight}, written by {@code ctl} and read by the admin
 * server: one record for both ends of the wire ({@code {"vip": "192.0.2.10:80/tcp", "address": "10.1.0.3",
 * "weight": 1}}; no {@code weight} for remove and drain).
 *
 * @param vip     {@code ADDRESS:PORT/PROTO}.
 * @param address the backend's address.
 * @param weight  the weight (add, weight), or null when the change takes none.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BackendChangeRequest(String vip, String address, Integer weight)
{
    /** The weight of an added backend when the request names none. */
    public static final int DEFAULT_WEIGHT = 1;

    /**
     * Reads a request body (the admin server's side), with the operator's message for each thing missing.
     *
     * @param body           the JSON object received.
     * @param weightRequired whether the change needs a weight ({@code weight}).
     * @throws ChangeRejectedException {@code INVALID} when a field is missing or of the wrong type.
     */
    public static BackendChangeRequest read(final JsonNode body, final boolean weightRequired) throws ChangeRejectedException
    {
        final String vip = text(body, "vip");
        final String address = text(body, "address");
        final JsonNode weightNode = body.get("weight");
        if (weightNode != null && !weightNode.canConvertToInt())
        {
            throw new ChangeRejectedException(ChangeRejectedException.INVALID, "weight must be an integer, got " + weightNode);
        }
        if (weightRequired && weightNode == null)
        {
            throw new ChangeRejectedException(ChangeRejectedException.INVALID, "weight is required");
        }
        return new BackendChangeRequest(vip, address, weightNode == null ? null : weightNode.asInt());
    }

    /** @return the weight, or {@link #DEFAULT_WEIGHT} when the request names none. */
    public int weightOrDefault()
    {
        return weight == null ? DEFAULT_WEIGHT : weight;
    }

    static String text(final JsonNode body, final String field) throws ChangeRejectedException
    {
        final JsonNode node = body.get(field);
        if (node == null || !node.isTextual())
        {
            throw new ChangeRejectedException(ChangeRejectedException.INVALID, field + " is required (a string)");
        }
        return node.asText();
    }
}
