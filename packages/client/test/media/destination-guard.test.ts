import { describe, expect, it } from 'vitest';
import { checkPreviewUrl, isPublicAddress } from '../../src/media/destination-guard.ts';
import { LinkPreviewError } from '../../src/media/errors.ts';

describe('isPublicAddress', () => {
  it('accepts public unicast IPv4 and IPv6', () => {
    for (const a of ['8.8.8.8', '1.1.1.1', '93.184.215.14', '2606:4700:4700::1111', '2001:4860:4860::8888']) expect(isPublicAddress(a), a).toBe(true);
  });

  it('refuses private, loopback, link-local, CGNAT, multicast, reserved, unspecified and documentation ranges', () => {
    for (const a of [
      '10.0.0.1', '172.16.5.4', '192.168.0.1', '127.0.0.1', '127.255.255.254', '169.254.169.254', '100.64.0.1', '0.0.0.0',
      '224.0.0.1', '255.255.255.255', '192.0.2.1', '198.18.0.1', '240.0.0.1',
      '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '2001:db8::1',
    ]) {
      expect(isPublicAddress(a), a).toBe(false);
    }
  });

  it('judges IPv4-mapped and NAT64 IPv6 addresses by the IPv4 address inside', () => {
    expect(isPublicAddress('::ffff:127.0.0.1')).toBe(false);
    expect(isPublicAddress('::ffff:10.0.0.1')).toBe(false);
    expect(isPublicAddress('::ffff:8.8.8.8')).toBe(true);
    expect(isPublicAddress('64:ff9b::a00:1')).toBe(false);
    expect(isPublicAddress('64:ff9b::808:808')).toBe(true);
  });

  it('refuses what is not an address', () => {
    for (const a of ['', 'localhost', '1.2.3', 'example.com']) expect(isPublicAddress(a), a).toBe(false);
  });
});

describe('checkPreviewUrl', () => {
  it('accepts https: URLs, drops the fragment, resolves relative ones against a base', () => {
    expect(checkPreviewUrl('https://example.com/a#frag').href).toBe('https://example.com/a');
    expect(checkPreviewUrl('/img.png', new URL('https://example.com/page/x')).href).toBe('https://example.com/img.png');
  });

  it('refuses other schemes, credentials and malformed URLs with PREVIEW_URL_REFUSED', () => {
    for (const u of ['http://example.com/', 'ws://example.com/', 'file:///etc/hosts', 'https://a:b@example.com/', '::not a url::']) {
      let caught: unknown;
      try {
        checkPreviewUrl(u);
      } catch (e) {
        caught = e;
      }
      expect(caught, u).toBeInstanceOf(LinkPreviewError);
      expect((caught as LinkPreviewError).code).toBe('PREVIEW_URL_REFUSED');
    }
  });
});
