/**
 * The client's per-session memory on its own: duplicates by seq, what a reconnect sends again,
 * and when a message counts as answered; plus the URL and backoff helpers it relies on.
 */
import { describe, expect, it } from 'vitest';
import { FollowedSessions } from '../../src/client/followed-sessions.js';
import { reconnectDelay } from '../../src/client/reconnect-policy.js';
import { executionSocketUrl, httpBaseUrl } from '../../src/client/server-url.js';
import type { ChatEvent } from '../../src/contract/chat-events.js';
import { chatEventFixture, finalPayload, PROGRESS } from '../support/frame-fixtures.js';

function event(
  sessionId: string,
  seq: number,
  kind: 'assistant_token' | 'status' | 'final' = 'assistant_token',
): ChatEvent {
  const fields = { seq, session_id: sessionId };
  if (kind === 'status') return chatEventFixture('status', '', PROGRESS, fields);
  if (kind === 'final') return chatEventFixture('final', '', finalPayload(''), fields);
  return chatEventFixture('assistant_token', '', { iteration: 1 }, fields);
}

describe('FollowedSessions', () => {
  it('drops frames at or below the last delivered seq, per session', () => {
    const sessions = new FollowedSessions();
    sessions.follow('a', 2);
    expect(sessions.accept(event('a', 1))).toBe(false);
    expect(sessions.accept(event('a', 3))).toBe(true);
    expect(sessions.accept(event('a', 3))).toBe(false);
    expect(sessions.accept(event('b', 1))).toBe(true); // a session first seen is followed from here
    expect(sessions.lastSeq('a')).toBe(3);
    expect(sessions.followed).toEqual(['a', 'b']);
  });

  it('resumes every followed session and re-sends only unanswered messages', () => {
    const sessions = new FollowedSessions();
    sessions.follow('a', 4);
    const message = { type: 'message', content: 'hi', session_id: 'a', client_message_id: 'm1' } as const;
    sessions.trackMessage(message);
    sessions.trackMessage({ type: 'message', content: 'no session, not re-sendable' });
    expect(sessions.resyncFrames()).toEqual([{ type: 'resume', session_id: 'a', since_seq: 4 }, message]);
    sessions.accept(event('a', 5, 'status')); // the server took it: resume covers the rest
    expect(sessions.resyncFrames()).toEqual([{ type: 'resume', session_id: 'a', since_seq: 5 }]);
    sessions.accept(event('a', 6, 'final'));
    sessions.trackMessage({ ...message, client_message_id: 'm2' });
    sessions.messageRefused();
    expect(sessions.resyncFrames()).toEqual([{ type: 'resume', session_id: 'a', since_seq: 6 }]);
    sessions.unfollow('a');
    expect(sessions.resyncFrames()).toEqual([]);
    sessions.accept(event('a', 7)); // still arriving on the open socket: not followed again
    expect(sessions.followed).toEqual([]);
  });
});

describe('client helpers', () => {
  it('derives both URLs from one base', () => {
    expect(httpBaseUrl('http://127.0.0.1:8000/')).toBe('http://127.0.0.1:8000');
    expect(executionSocketUrl('http://127.0.0.1:8000')).toBe('ws://127.0.0.1:8000/api/v1/ws/execution');
    expect(executionSocketUrl('https://fleet.example/prefix')).toBe(
      'wss://fleet.example/prefix/api/v1/ws/execution',
    );
    expect(httpBaseUrl('wss://fleet.example/api/v1/ws/execution?x=1')).toBe('https://fleet.example');
    expect(() => httpBaseUrl('localhost:8000')).toThrow(/unsupported URL scheme|not a URL/);
  });

  it('backs off exponentially up to the ceiling, with bounded jitter', () => {
    const policy = { attempts: 5, initialDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((attempt) => reconnectDelay(policy, attempt, () => 0.5))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(reconnectDelay(policy, 1, () => 0)).toBe(80);
    expect(reconnectDelay(policy, 1, () => 1)).toBe(120);
  });
});
