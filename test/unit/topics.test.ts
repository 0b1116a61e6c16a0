import { describe, expect, it } from "vitest";
import {
  cidFromDownstreamTopic,
  downstreamFilter,
  downstreamTemplateProblem,
  filterCanMatchTemplate,
  publishTemplateProblem,
  renderTopic,
  TopicError,
  topicShapeProblem,
} from "../../src/mqtt/topics";

describe("renderTopic", () => {
  it.each([
    ["ocpp/", "cp/${cid}", { cid: "CP1" }, "ocpp/cp/CP1"],
    ["ocpp/", "cp/${clientid}/Reply", { cid: "CP1" }, "ocpp/cp/CP1/Reply"],
    ["", "cp/${cid}/Notify/${action}", { cid: "CP 1", action: "BootNotification" }, "cp/CP 1/Notify/BootNotification"],
    ["t/", "cp/${cid}/${action}/${id}", { cid: "A" }, "t/cp/A/${action}/${id}"],
    ["ocpp/", "v${proto_ver}/cp/${cid}", { cid: "CP1", proto_ver: "2.0.1" }, "ocpp/v2.0.1/cp/CP1"],
  ])("%s + %s → %s", (mountpoint, template, vars, expected) => {
    expect(renderTopic(mountpoint, template, vars)).toBe(expected);
  });

  it.each(["a/b", "a+", "#", "x\u0000y", ""])("refuses %j as a topic level", (cid) => {
    expect(() => renderTopic("ocpp/", "cp/${cid}", { cid })).toThrow(TopicError);
  });
});

describe("downstream filter and charge point id", () => {
  it.each([
    ["ocpp/", "cs/${cid}", "ocpp/cs/+"],
    ["", "cs/${clientid}/+", "cs/+/+"],
    ["m/", "a/${cid}/#", "m/a/+/#"],
  ])("%s%s subscribes %s", (mountpoint, template, filter) => {
    expect(downstreamFilter(mountpoint, template)).toBe(filter);
  });

  it.each([
    ["ocpp/", "cs/${cid}", "ocpp/cs/CP1", "CP1"],
    ["ocpp/", "cs/${cid}", "ocpp/cs/CP1/extra", undefined],
    ["ocpp/", "cs/${cid}", "ocpp/cs", undefined],
    ["ocpp/", "cs/${cid}", "other/cs/CP1", undefined],
    ["ocpp/", "cs/${cid}", "ocpp/cs/", undefined],
    ["", "cs/${cid}/+", "cs/CP2/anything", "CP2"],
    ["", "cs/${cid}/#", "cs/CP3/a/b", "CP3"],
    ["", "cs/${cid}/#", "cs/CP3", "CP3"],
  ])("%s%s: topic %s → %s", (mountpoint, template, topic, cid) => {
    expect(cidFromDownstreamTopic(mountpoint, template, topic)).toBe(cid);
  });

  it.each([
    ["cs/${cid}", undefined],
    ["cs/x${cid}", "must contain ${cid} or ${clientid} as a whole topic level"],
    ["cs/+", "must contain ${cid} or ${clientid} as a whole topic level"],
    ["cs/#/${cid}", "'#' may only be the last level"],
    ["cs/${cid}/a+", "wildcard inside level 'a+'"],
  ])("template %s: %s", (template, problem) => {
    expect(downstreamTemplateProblem(template)).toBe(problem);
  });
});

describe("publish templates", () => {
  it.each([
    ["cp/${cid}", undefined],
    ["cp/${clientid}/Notify/${action}", undefined],
    ["events/all", "must contain ${cid} or ${clientid} as a whole topic level"],
    ["cp/x${cid}", "must contain ${cid} or ${clientid} as a whole topic level"],
    ["cp/${cid}/+", "must not contain MQTT wildcards"],
  ])("%s: %s", (template, problem) => expect(publishTemplateProblem(template)).toBe(problem));

  it.each([
    ["ocpp/cp/${cid}", undefined],
    ["ocpp//cp", "must not have empty topic levels (no leading, trailing or double '/')"],
    ["/cp", "must not have empty topic levels (no leading, trailing or double '/')"],
    ["cp/", "must not have empty topic levels (no leading, trailing or double '/')"],
    ["$SYS/x", "must not start with '$' (topics starting with '$' are reserved for the broker)"],
  ])("topic %s: %s", (topic, problem) => expect(topicShapeProblem(topic)).toBe(problem));
});

describe("can a subscription receive what a template publishes (any charge point id, any Action)", () => {
  it.each([
    ["ocpp/cs/+", "ocpp/cs/${cid}", undefined, true],
    ["ocpp/cs/+", "ocpp/cp/${cid}", undefined, false],
    ["ocpp/cs/+", "ocpp/cs/${cid}/Reply", undefined, false],
    ["ocpp/cs/+/#", "ocpp/cs/${cid}", undefined, true],
    ["ocpp/#", "ocpp/events/${cid}", undefined, true],
    ["ocpp/cs/+", "ocpp/${cid}/${cid}", undefined, true],
    ["ocpp/+/Heartbeat", "ocpp/${cid}/${action}", undefined, true],
    ["ocpp/+/Heartbeat", "ocpp/${cid}/${action}", "BootNotification", false],
    ["ocpp/+/Heartbeat", "ocpp/${cid}/Notify-${action}", undefined, false],
    ["ocpp/+/Notify-Heartbeat", "ocpp/${cid}/Notify-${action}", undefined, true],
    // With no Action to put in, `${action}` stays as text (renderTopic), which a literal level cannot equal here.
    ["ocpp/+/${x}", "ocpp/${cid}/${action}", undefined, false],
    ["ocpp/a.b/+", "ocpp/a${cid}b/${cid}", undefined, true],
    ["ocpp/a.b/+", "ocpp/a.c/${cid}", undefined, false],
    ["ocpp/cs/+", "ocpp/cs/${unknown}", undefined, true],
    ["ocpp/cs/x", "ocpp/cs/${unknown}", undefined, false],
    ["ocpp/2.1/+", "ocpp/${proto_ver}/${cid}", undefined, true],
    ["ocpp/cs/+", "ocpp/${proto_ver}/${cid}", undefined, false],
  ])("%s vs %s (Action %s): %s", (filter, template, action, expected) => {
    expect(filterCanMatchTemplate(filter, template, action)).toBe(expected);
  });
});
