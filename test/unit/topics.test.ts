import { describe, expect, it } from "vitest";
import {
  cidFromDownstreamTopic,
  downstreamFilter,
  downstreamTemplateProblem,
  renderTopic,
  TopicError,
} from "../../src/mqtt/topics";

describe("renderTopic", () => {
  it.each([
    ["ocpp/", "cp/${cid}", { cid: "CP1" }, "ocpp/cp/CP1"],
    ["ocpp/", "cp/${clientid}/Reply", { cid: "CP1" }, "ocpp/cp/CP1/Reply"],
    ["", "cp/${cid}/Notify/${action}", { cid: "CP 1", action: "BootNotification" }, "cp/CP 1/Notify/BootNotification"],
    ["t/", "cp/${cid}/${action}/${id}", { cid: "A" }, "t/cp/A/${action}/${id}"],
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
