// Lines in the shapes Logpush really sends, written here by hand (the corpus they mirror lives
// outside the repository, and the CLI's `check` runs it in CI): keys in no particular order,
// fields Cloudflare added after the schema was written, a number in a string column, event times
// as RFC 3339, as digit strings of seconds and of nanoseconds, json values nested a few levels,
// long percent-encoded queries. Each with the p_event_time it must get.

const LONG_QUERY = `?sourcerer=(default%3A(id%3A!n%2CselectedPatterns%3A!(logs-endpoint.*%2Cmetrics)))&timerange=(global%3A(from%3A%272022-05-30T05%3A23%3A43.199Z%27%2Cto%3Anow))`

export const REAL_SHAPES: { dataset: string; lines: string[]; eventTimes: string[] }[] = [
  {
    dataset: 'audit_logs',
    lines: ['"2021-11-30T20:19:48Z"', '"1638303588"', '"1638303588000000000"'].map(
      (when) =>
        `{"ActionResult":true,"ActionType":"token_create","ActorEmail":"admin@example.com","ActorID":"q8c1x7v2b6n3m5k9j4h0g8f7d6s5a4p3","ActorIP":"198.51.100.23","ActorType":"user","ID":"0c3f4a1e-9b2d-4e57-8a61-2f5d7c9b1e04","Interface":"UI","Metadata":{"token_name":"ci","token_tag":"5a8e2c4b7d9f1a3c6e8b0d2f4a6c8e0b"},"NewValue":{"policies":[{"effect":"allow","resources":{"com.cloudflare.api.account.*":"*"}}]},"OldValue":{},"OwnerID":"q8c1x7v2b6n3m5k9j4h0g8f7d6s5a4p3","ResourceID":"b7e1c93d5f2a4e6081c3d5f7a9b1c3e5","ResourceType":"account","When":${when}}`,
    ),
    eventTimes: ['2021-11-30 20:19:48.000000000', '2021-11-30 20:19:48.000000000', '2021-11-30 20:19:48.000000000'],
  },
  {
    dataset: 'firewall_events',
    lines: [
      `{"ClientRequestScheme":"https","MatchIndex":1,"ClientRefererHost":"shop.example.com","Source":"firewallrules","ClientRequestUserAgent":"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/101.0.4951.64 Mobile Safari/537.36","ClientRefererPath":"/cart","Metadata":{"filter":"3b1f0c7e5a9d4b2c8e6f0a1b3c5d7e9f","type":"customer"},"EdgeResponseStatus":403,"ClientRequestProtocol":"HTTP/1.1","OriginatorRayID":"00","RayID":"71a3c5e7f9b1d357","ClientRequestMethod":"GET","ClientIP":"203.0.113.77","ClientRequestPath":"/cart","Action":"block","Kind":"firewall","RuleID":"9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b","ClientIPClass":"searchEngine","ClientASNDescription":"EXAMPLE-NET","ClientCountry":"us","ClientRefererQuery":"${LONG_QUERY}","ClientRequestQuery":"${LONG_QUERY}","OriginResponseStatus":0,"EdgeColoCode":"IAD","ClientRefererScheme":"https","Datetime":"2022-05-31T05:23:43Z","ClientRequestHost":"shop.example.com","ClientASN":64500}`,
      `{"Action":"managed_challenge","ClientIP":"2001:db8::7","Datetime":1653974623000000000,"Kind":"firewall","Metadata":{},"RayID":"71a3c5e7f9b1d358","Source":"securitylevel","EdgeResponseStatus":403}`,
    ],
    eventTimes: ['2022-05-31 05:23:43.000000000', '2022-05-31 05:23:43.000000000'],
  },
  {
    dataset: 'http_requests',
    lines: [
      `{"BotDetectionIDs":[7,8,9],"BotScore":20,"BotScoreSrc":"Verified Bot","BotTags":["bing"],"CacheCacheStatus":"dynamic","ClientASN":64501,"ClientIP":"192.0.2.10","ClientRequestHost":"api.example.com","ClientRequestMethod":"POST","ClientRequestPath":"/v1/telemetry","ClientRequestReferer":"https://app.example.com/dashboard${LONG_QUERY}","ClientRequestURI":"/v1/telemetry?x=1","ClientSrcPort":0,"Cookies":{"session":"abc"},"EdgeEndTimestamp":"2022-05-25T13:25:32Z","EdgeRateLimitID":0,"EdgeResponseStatus":200,"EdgeServerIP":"198.51.100.1","EdgeStartTimestamp":"2022-05-25T13:25:26Z","OriginResponseHTTPExpires":"2022-05-27T13:25:26Z","OriginResponseHTTPLastModified":"","OriginResponseHeaderReceiveDurationMs":5155,"OriginResponseTime":5232000000,"ParentRayID":"710e98d93d50357d","RayID":"710e98d9367f357d","RequestHeaders":{"x-forwarded-proto":"https"},"SecurityAction":"unknown","WorkerSubrequest":true,"ZoneID":393347122,"ZoneName":"example.com"}`,
      `{"EdgeStartTimestamp":1653485126000000000,"ClientIP":"2001:db8:85a3::8a2e:370:7334","RayID":"710e98d9367f357e","EdgeResponseStatus":"304","CacheTieredFill":"false","ResponseHeaders":{}}`,
      `{"RayID":"710e98d9367f357f","EdgeStartTimestamp":"1653485126","WAFRuleID":"98d93d5","SecurityRuleID":"98d93d5","ClientRequestHost":"WWW.Example.COM"}`,
    ],
    eventTimes: ['2022-05-25 13:25:26.000000000', '2022-05-25 13:25:26.000000000', '2022-05-25 13:25:26.000000000'],
  },
  {
    dataset: 'spectrum_events',
    lines: [
      `{"Application":"7a1c3e5f7b9d1f3a5c7e9b1d3f5a7c9e","ClientAsn":64502,"ClientBytes":0,"ClientCountry":"bg","ClientIP":"198.51.100.200","ClientMatchedIpFirewall":"UNKNOWN","ClientPort":40456,"ClientProto":"tcp","ClientTcpRtt":0,"ClientTlsCipher":"UNK","ClientTlsClientHelloServerName":"server name","ClientTlsProtocol":"TLSv1.2","ClientTlsStatus":"UNKNOWN","ColoCode":"SOF","ConnectTimestamp":"2022-05-26T09:24:00Z","DisconnectTimestamp":"1970-01-01T00:00:00Z","Event":"connect","IpFirewall":false,"OriginBytes":0,"OriginIP":"203.0.113.9","OriginPort":3389,"OriginProto":"tcp","OriginTcpRtt":0,"OriginTlsCipher":"UNK","OriginTlsFingerprint":"","OriginTlsMode":"off","OriginTlsProtocol":"unknown","OriginTlsStatus":"UNKNOWN","ProxyProtocol":"off","Status":0,"Timestamp":"2022-05-26T09:24:00Z"}`,
    ],
    eventTimes: ['2022-05-26 09:24:00.000000000'],
  },
]
