"""The Zalo Official Account edge: the webhook's signature, tokens, the OA API client, media.

What was relied on, and where from (none of it confirmed with Zalo; the README's "Zalo"
section lists what to check before launch):

* Webhook signature: ``X-ZEvent-Signature: mac=<hex SHA-256 of app id + raw body +
  timestamp + OA secret key>``, the timestamp taken from the body; the OA's secret key, not
  the app's (../shared/REFERENCES.md; the tutorial at hainh.me/zalo-api-php-webhook-callback
  -official-account.html; the same scheme in several public integrations).
* Webhook events: ``event_name``, ``app_id``, ``timestamp`` (milliseconds, a string),
  ``sender.id``/``recipient.id``, ``message.msg_id``, ``message.text`` and
  ``message.attachments[].payload.url`` (image, file) or ``.coordinates.latitude/longitude``
  (location); ``follower.id`` for follow/unfollow; ``info`` for user_submit_info (public
  integrations: chatwoot's Zalo channel, n8n Zalo OA nodes). The webhook must answer 200 fast,
  or Zalo retries (for up to 12 hours, per the same tutorial).
* Sending (OA API v3, "tin Tư vấn"): ``POST https://openapi.zalo.me/v3.0/oa/message/cs``
  with header ``access_token``, body ``{"recipient": {"user_id": ...}, "message": {...}}``; a
  button template is ``attachment.payload.buttons[]`` of ``{"type": "oa.query.hide",
  "title", "payload"}``, whose payload comes back as the person's text; a list is
  ``template_type: "list"`` with up to 5 ``elements``; ``template_type:
  "request_user_info"`` asks for the phone; an image is ``template_type: "media"`` with an
  ``attachment_id`` from ``POST /v2.0/oa/upload/image``, a file an ``attachment.type:
  "file"`` with the ``token`` from ``POST /v2.0/oa/upload/file`` (chatwoot's channel,
  developers-zns.goby.vn, esms.vn).
* Tokens: ``POST https://oauth.zaloapp.com/v4/oa/access_token`` with header ``secret_key``
  (the app's secret key) and form ``app_id``, ``grant_type=refresh_token``,
  ``refresh_token``; the answer holds a new ``access_token`` (``expires_in`` about 90000 s,
  25 h) and a new ``refresh_token`` (single-use, about 3 months).
* Error codes: -216 invalid or expired access token (chatwoot refreshes on it); -234 sending
  in the night ban, -230 a person silent for more than 7 days, -32 rate limit
  (REFERENCES.md). **Assumed** without a source: -201 for a malformed request, -213 for a
  person who does not follow the OA (or blocked it), and any answer without an
  ``access_token`` from the token endpoint as a refused refresh token (its code -14014 is
  the fake's).
"""
